"""Building configurations and apps for tests: one fresh app per test, nothing shared."""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from pathlib import Path
from typing import Any

from nekoapi.config import Config, load_config

from .redis import redis_env, store_under_test

ADMIN_PASSWORD = "admin-secret"
USER_PASSWORD = "user-secret"


def make_config(**env: str) -> Config:
    """A configuration as the server would read it from ``NEKO_*`` variables.

    Test defaults: known passwords, a short heartbeat, the rest as shipped.
    The member provider is pinned to multiuser (any username, the password
    picks the profile), which the session tests rely on; a test that picks
    ``sqlite`` gets its own database file. Password hashing is cheap in tests.

    With ``NEKO_TEST_STORE=redis`` every configuration uses the Redis store
    (under a prefix of its own) unless the test chose a store or a file itself.
    """
    scratch = Path(tempfile.gettempdir()) / f"nekoapi-test-{uuid.uuid4().hex}"
    base = {
        "NEKO_MEMBER_PROVIDER": "multiuser",
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
        # Created only if a test picks sqlite (the provider makes missing directories).
        "NEKO_MEMBER_SQLITE_PATH": str(scratch / "members.db"),
        # Made only if a test makes a share link (with the memory store).
        "NEKO_SESSION_LINKS_FILE": str(scratch / "links.db"),
        "NEKO_CAPTURE_RECORDING_DIR": str(scratch / "recordings"),
        "NEKO_MEMBER_SQLITE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_ARGON2_TIME_COST": "1",
        "NEKO_MEMBER_ARGON2_MEMORY_KIB": "1024",
        # No X server unless a test asks for one (NEKO_DESKTOP_ENABLED=true with the x_server fixture).
        "NEKO_DESKTOP_ENABLED": "false",
    }
    if store_under_test() == "redis" and not {"NEKO_SESSION_STORE", "NEKO_SESSION_FILE"} & env.keys():
        base.update(redis_env())
    base.update(env)
    return load_config(base)


def replace(config: Config, section: str, **changes: Any) -> Config:
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})
