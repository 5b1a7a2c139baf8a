"""No token or password survives into a log line."""

from __future__ import annotations

import logging

import pytest

from nekoapi.logs import RedactSecrets, redact

TOKEN = "3f" * 32


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1:5000 - "WebSocket /api/ws?token={TOKEN}" [accepted]',
        f'"GET /api/whoami?x=1&token={TOKEN} HTTP/1.1" 200',
        f"Authorization: Bearer {TOKEN}",
        f"cookie NEKO_SESSION={TOKEN}; other=1",
        f"password={TOKEN}",
        f'"GET /file?pwd={TOKEN}&filename=a.txt HTTP/1.1" 200',  # Neko v2's password
    ],
)
def test_redact_removes_the_secret(line: str) -> None:
    cleaned = redact(line)
    assert TOKEN not in cleaned
    assert "***" in cleaned


def test_filter_rewrites_records_with_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '"WebSocket %s"', (f"/api/ws?token={TOKEN}",), None
    )
    assert RedactSecrets().filter(record) is True
    assert TOKEN not in record.getMessage()
    assert record.getMessage() == '"WebSocket /api/ws?token=***"'
