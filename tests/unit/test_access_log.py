"""The server's access log: same lines as through ``logging``, never written by the request itself."""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from nekoapi import logs
from tests.support.client import api_client
from tests.support.factory import make_config
from tests.support.patience import REPLY


class RecordingStream(io.StringIO):
    """Remembers which threads wrote to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: set[int] = set()

    def write(self, text: str) -> int:
        self.writers.add(threading.get_ident())
        return super().write(text)


@pytest.fixture
def served_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Logging as ``nekoapi serve`` sets it up, undone afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    connexion = logging.getLogger("connexion").level
    monkeypatch.setattr(logs, "_writer", None)
    monkeypatch.setattr(logs, "_served", None)
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("connexion").setLevel(connexion)


async def requests() -> None:
    async with api_client(make_config()) as client:
        user = await client.login_user("erin")
        await client.get("/api/whoami", headers=user.bearer)
        await client.get("/api/whoami", headers={"Authorization": "Bearer not-a-token"})


def lines_of(stream: io.StringIO, count: int) -> list[str]:
    deadline = time.monotonic() + REPLY
    while stream.getvalue().count("\n") < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [line for line in stream.getvalue().splitlines() if "nekoapi.access" in line]


def comparable(line: str, *, json: bool) -> object:
    """The line without what differs from one run to the next: time, duration, session id suffix."""
    if json:
        entry = orjson.loads(line)
        entry.pop("time"), entry.pop("duration_ms")
        entry["message"] = re.sub(r" [\d.]+ms ", " ", entry["message"])
        entry["session_id"] = entry.get("session_id", "").partition("-")[0]
        return entry
    return re.sub(r"session=(\w+)-\w+", r"session=\1", re.sub(r" [\d.]+ms ", " ", line.split(" ", 2)[2]))


@pytest.mark.parametrize("json", [False, True], ids=["plain", "json"])
async def test_access_lines_are_written_by_the_log_thread_not_the_request(served_logging: None, json: bool) -> None:
    stream = RecordingStream()
    logs.configure("info", json=json, stream=stream)
    await requests()
    assert threading.get_ident() not in stream.writers  # nothing was written on the event loop
    fast = lines_of(stream, 3)
    assert len(fast) == 3
    assert threading.get_ident() not in stream.writers

    # The same requests through logging itself (another handler listening turns the cheap path off).
    classic = io.StringIO()
    logging.getLogger().addHandler(logs.make_handler(json=json, stream=classic))
    await requests()
    slow = [line for line in classic.getvalue().splitlines() if "nekoapi.access" in line]
    assert [comparable(line, json=json) for line in fast] == [comparable(line, json=json) for line in slow]


def test_a_plain_access_line_looks_like_every_other_line(served_logging: None) -> None:
    stream = RecordingStream()
    logs.configure("info", stream=stream)
    lines = logs.access_lines()
    assert lines is not None
    lines.write("GET", "/health", 200, 0.0004, "healthcheck", "127.0.0.1", None)
    logging.getLogger("nekoapi.test").info("after")
    written = lines_of(stream, 2)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO nekoapi.access: GET /health 200 0.4ms healthcheck client=127.0.0.1",
        written[0],
    )
    assert stream.getvalue().splitlines()[1].endswith("INFO nekoapi.test: after")  # in order
