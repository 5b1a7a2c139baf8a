"""A logout on the Redis store is final once acknowledged, and a 503 leaves the session as it was.

Two workers of one room run in this process (two apps, one private redis-server), so a test
can make Redis fail at the moment that matters.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from tests.support.client import ApiClient, api_client
from tests.support.factory import make_config
from tests.support.patience import START
from tests.support.redis import PrivateRedis, private_redis, redis_env


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@contextlib.asynccontextmanager
async def two_workers(redis: PrivateRedis) -> AsyncIterator[tuple[ApiClient, ApiClient]]:
    config = make_config(**redis_env(redis.url))
    async with api_client(config) as a, api_client(config) as b:
        yield a, b


async def whoami(client: ApiClient, token: str) -> int:
    return (await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})).status_code


async def until_healthy(*clients: ApiClient) -> None:
    for client in clients:
        deadline = asyncio.get_running_loop().time() + START
        while (await client.get("/health")).status_code != 200:
            assert asyncio.get_running_loop().time() < deadline, "the worker did not recover"
            await asyncio.sleep(0.05)


async def test_a_logout_acknowledged_after_redis_lost_its_data_is_final(redis_server: PrivateRedis) -> None:
    async with two_workers(redis_server) as (a, b):
        users = [await a.login_user(f"user{n}") for n in range(3)]
        assert [await whoami(b, user.token) for user in users] == [200, 200, 200]
        flush = aioredis.Redis.from_url(redis_server.url)
        await flush.flushall()  # Redis restarted empty, too briefly for the workers to notice
        await flush.aclose()

        for user in users[:2]:
            assert (await a.post("/api/logout", headers=user.bearer)).status_code == 200
        for worker in (a, b):
            assert [await whoami(worker, user.token) for user in users] == [401, 401, 200]

        redis_server.stop()  # and an outage after it: the workers reload the room from Redis
        redis_server.start()
        await until_healthy(a, b)
        for worker in (a, b):
            assert [await whoami(worker, user.token) for user in users] == [401, 401, 200]


async def test_a_logout_answered_503_changes_nothing(redis_server: PrivateRedis) -> None:
    async with two_workers(redis_server) as (a, b):
        user = await a.login_user("stays")
        replica = a.app.services.sessions.state
        checked = replica.require

        async def redis_dies_after_the_check() -> None:
            await checked()
            redis_server.stop()

        replica.require = redis_dies_after_the_check  # type: ignore[method-assign]
        refused = await a.post("/api/logout", headers=user.bearer)
        assert refused.status_code == 503
        replica.require = checked  # type: ignore[method-assign]
        assert await whoami(a, user.token) == 200

        redis_server.start()  # empty: the workers restore the room from what they hold
        await until_healthy(a, b)
        await asyncio.sleep(0.5)  # anything still queued from the refused logout would land now
        assert [await whoami(worker, user.token) for worker in (a, b)] == [200, 200]
        assert (await b.post("/api/logout", headers=user.bearer)).status_code == 200
        assert [await whoami(worker, user.token) for worker in (a, b)] == [401, 401]
