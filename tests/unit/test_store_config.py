"""Choosing the session store: the keys, their checks, and combinations that cannot work."""

from __future__ import annotations

import pytest

from nekoapi.config import ConfigError, load_config
from nekoapi.services import Services
from nekoapi.sessions.backend import LocalBackend
from tests.support.factory import make_config


def test_the_default_store_is_this_process() -> None:
    config = load_config({})
    assert (config.session.store, config.redis.url, config.redis.prefix) == (
        "memory",
        "redis://127.0.0.1:6379/0",
        "neko",
    )
    assert isinstance(Services(make_config(NEKO_SESSION_STORE="memory")).sessions.state.backend, LocalBackend)


def test_an_unknown_store_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^NEKO_SESSION_STORE: expected memory or redis, got 'mongo'$"):
        load_config({"NEKO_SESSION_STORE": "mongo"})


def test_a_session_file_with_the_redis_store_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"^NEKO_SESSION_FILE: not used with session.store redis"):
        make_config(NEKO_SESSION_STORE="redis", NEKO_SESSION_FILE=str(tmp_path / "sessions.db"))
    written = tmp_path / "neko.yaml"
    written.write_text(f"session:\n  store: redis\n  file: {tmp_path / 'sessions.db'}\n")
    with pytest.raises(ConfigError, match=r"^session.file: not used with session.store redis"):
        load_config({}, str(written))
