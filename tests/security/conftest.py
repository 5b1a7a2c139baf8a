"""Every security test also proves that no token or password reached a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from nekoapi import tokens
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.logs import on_root_logger

# The tests' own HTTP and WebSocket clients log what they send; only the server's lines count.
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore")


class _ServerLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(autouse=True)
def no_secret_is_logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    issued: list[str] = []
    original = tokens.new_token

    def recording() -> str:
        issued.append(original())
        return issued[-1]

    monkeypatch.setattr(tokens, "new_token", recording)
    monkeypatch.setattr("nekoapi.sessions.manager.new_token", recording)
    handler = _ServerLines()
    with on_root_logger(handler, logging.DEBUG):
        yield issued
    secrets = [*issued, ADMIN_PASSWORD, USER_PASSWORD]
    leaks = [line for line in handler.lines for secret in secrets if secret in line]
    assert not leaks, f"secrets in log lines: {leaks[:3]}"
