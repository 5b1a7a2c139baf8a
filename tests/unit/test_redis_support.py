"""The Redis test helpers: an unreachable Redis skips a test, except under CI=true where it fails it."""

from __future__ import annotations

import pytest

from tests.support.process import free_port
from tests.support.redis import require_redis

NOWHERE = f"redis://127.0.0.1:{free_port()}/0"  # a free port: nothing listens there


def test_an_unreachable_redis_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        require_redis(NOWHERE)


def test_an_unreachable_redis_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_redis(NOWHERE)
