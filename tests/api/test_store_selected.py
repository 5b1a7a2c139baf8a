"""The suite runs on the store it says it runs on (``NEKO_TEST_STORE``, see ``make test``)."""

from __future__ import annotations

import redis

from nekoapi.config import Config
from nekoapi.tokens import token_digest
from tests.support.client import ApiClient
from tests.support.redis import store_under_test


async def test_the_suite_runs_on_the_selected_store(client: ApiClient, config: Config) -> None:
    login = await client.login_admin()
    assert config.session.store == store_under_test()
    if config.session.store == "redis":
        shared = redis.Redis.from_url(config.redis.url)
        try:
            # The login is in Redis, under this test's own prefix, by digest.
            assert shared.get(f"{config.redis.prefix}:token:{token_digest(login.token).hex()}") == login.id.encode()
        finally:
            shared.close()
