"""Building configurations and apps for tests: one fresh app per test, nothing shared."""

from __future__ import annotations

import dataclasses
from typing import Any

from nekoapi.config import Config, load_config

from .redis import redis_env, store_under_test

ADMIN_PASSWORD = "admin-secret"
USER_PASSWORD = "user-secret"


def make_config(**env: str) -> Config:
    """A configuration as the server would read it from ``NEKO_*`` variables.

    Test defaults: known passwords, a short heartbeat, the rest as shipped.
    With ``NEKO_TEST_STORE=redis`` every configuration uses the Redis store
    (under a prefix of its own) unless the test chose a store or a file itself.
    """
    base = {
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    if store_under_test() == "redis" and not {"NEKO_SESSION_STORE", "NEKO_SESSION_FILE"} & env.keys():
        base.update(redis_env())
    base.update(env)
    return load_config(base)


def replace(config: Config, section: str, **changes: Any) -> Config:
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})
