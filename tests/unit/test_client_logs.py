"""``system/logs``: clients' log lines in our log, at their level, rate-limited per session, without secrets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from nekoapi.models import USER_PROFILE
from nekoapi.sessions.session import Session
from nekoapi.ws.client_logs import RATE, ClientLogs
from nekoapi.ws.decoding import MalformedPayload, decoders
from nekoapi.ws.payloads import SystemLogs
from tests.e2e.test_room_events import Room, open_room
from tests.support.factory import make_config


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def session(name: str) -> Session:
    return Session(name, b"", USER_PROFILE)


def client_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "nekoapi.client"]


def decoded(raw: object) -> SystemLogs:
    """``raw`` as the dispatcher hands it to the handler."""
    return decoders()["system/logs"](raw)  # type: ignore[no-any-return]


def entries(count: int, message: str = "line") -> SystemLogs:
    return decoded([{"level": "info", "message": f"{message} {i}"} for i in range(count)])


async def test_lines_are_written_at_their_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nekoapi.client")
    logs = ClientLogs()
    await logs.handle(
        session("alice"),
        decoded(
            [
                {"level": "debug", "message": "d"},
                {"level": "warn", "message": "w", "fields": {"module": "webrtc"}},
                {"level": "error", "message": "e"},
                {"level": "nonsense", "message": "i"},
            ]
        ),
    )
    assert client_lines(caplog) == [
        (logging.DEBUG, "client alice: d"),
        (logging.WARNING, "client alice: w module=webrtc"),
        (logging.ERROR, "client alice: e"),
        (logging.INFO, "client alice: i"),
    ]


async def test_a_flood_is_cut_to_the_rate_per_session(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    logs = ClientLogs(clock=clock)
    await logs.handle(session("alice"), entries(100))
    written = [m for _, m in client_lines(caplog) if m.startswith("client alice:")]
    assert len(written) == 2 * RATE  # one burst
    warnings = [m for _, m in client_lines(caplog) if "too fast" in m]
    assert warnings == ["session alice sends client logs too fast; dropping them for now"]

    # Another session has its own budget; alice's refills with time.
    await logs.handle(session("bob"), entries(1))
    clock.now += 1.0
    await logs.handle(session("alice"), entries(100, "later"))
    lines = [m for _, m in client_lines(caplog)]
    assert "client bob: line 0" in lines
    assert len([m for m in lines if m.startswith("client alice: later")]) == RATE
    assert len([m for m in lines if "too fast" in m]) == 2  # once more: it started dropping again


async def test_secrets_are_never_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await ClientLogs().handle(
        session("alice"),
        decoded(
            [
                {
                    "level": "info",
                    "message": "GET /api/ws?token=abcdef Authorization: Bearer xyz123\nclient mallory: forged",
                    "fields": {"password": "hunter2", "api_token": "t0k3n", "url": "/x?password=p4ss"},
                }
            ]
        ),
    )
    [(_, line)] = client_lines(caplog)
    for secret in ("abcdef", "xyz123", "hunter2", "t0k3n", "p4ss"):
        assert secret not in line
    assert "\n" not in line and "\\nclient mallory" in line


async def test_junk_payloads_are_not_decoded(caplog: pytest.LogCaptureFixture) -> None:
    """Neko's payload is a list of objects; anything else never reaches the handler."""
    for junk in (5, "text", {"level": "info", "message": "one"}, [1, "a", None], [{"message": 5}]):
        with pytest.raises(MalformedPayload):
            decoded(junk)
    caplog.set_level(logging.INFO)
    await ClientLogs().handle(session("alice"), decoded(None))  # null is an empty list
    assert client_lines(caplog) == []


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    async for r in open_room(make_config()):
        yield r


async def test_a_socket_writes_its_logs_through_the_server(room: Room, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    alice, alice_ws = await room.join("alice")
    await alice_ws.send("system/logs", [{"level": "warn", "message": "from the browser"}])
    await alice_ws.send("send/unicast", {"receiver": alice.id, "subject": "sync", "body": None})
    await alice_ws.wait_for("send/unicast")  # messages are handled in order: the log line is written
    assert (logging.WARNING, f"client {alice.id}: from the browser") in client_lines(caplog)
