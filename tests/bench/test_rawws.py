"""The lean benchmark client: frames parsed from headers, control frames answered, the marker seen."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from bench import rawws, reference
from tests.support.patience import REPLY, STOP
from tests.support.transport import RecordingTransport

UPGRADED = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked frame as a server sends it, with the 7-, 16- or 64-bit length form."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + struct.pack("!H", n)
    else:
        head = bytes((0x80 | opcode, 127)) + struct.pack("!Q", n)
    return head + payload


def unmask(frame: bytes) -> tuple[int, bytes]:
    """(opcode, payload) of a client frame, which must be masked."""
    assert frame[1] & 0x80, "client frames must be masked"
    n, mask = frame[1] & 0x7F, frame[2:6]
    return frame[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(frame[6 : 6 + n]))


def feed(client: rawws.RawClient, data: bytes, chunk: int) -> None:
    """Deliver ``data`` the way asyncio does, ``chunk`` bytes per read."""
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        client.get_buffer(len(piece))[: len(piece)] = piece
        client.buffer_updated(len(piece))


@pytest.fixture
async def wire() -> tuple[rawws.RawClient, RecordingTransport]:
    client = rawws.RawClient(rawws.handshake("127.0.0.1", 1, "/api/ws?token=t"))
    transport = RecordingTransport()
    client.connection_made(transport)
    return client, transport


@pytest.mark.parametrize("chunk", [1, 7, 4096])
async def test_frames_are_skipped_by_length_across_any_read_boundary(wire, chunk: int) -> None:
    client, transport = wire
    assert transport.written[0].startswith(b"GET /api/ws?token=t HTTP/1.1\r\n")
    init = b'{"event":"system/init","payload":{"sessions":{' + b" " * 70_000 + b"}}}"
    feed(client, UPGRADED + server_frame(1, init) + server_frame(1, b"x" * 300) + server_frame(1, b""), chunk)
    assert client.ready.result() is True
    assert client.frames == 3


@pytest.mark.parametrize("chunk", [3, 200, 65536])
async def test_a_burst_of_broadcasts_is_counted_and_a_ping_among_them_answered(wire, chunk: int) -> None:
    client, transport = wire
    feed(client, UPGRADED + server_frame(1, b'{"event":"system/init"}'), 4096)
    small, medium = server_frame(1, b"s" * 100), server_frame(1, b"m" * 300)  # 7- and 16-bit lengths
    burst = (small + medium) * 50 + server_frame(0x9, b"ping") + (medium + small) * 50 + server_frame(2, b"b")
    feed(client, burst, chunk)
    assert client.frames == 1 + 200 + 1
    assert [unmask(frame) for frame in transport.written[1:]] == [(0xA, b"ping")]


async def test_a_first_frame_other_than_system_init_fails_the_connect(wire) -> None:
    client, _ = wire
    feed(client, UPGRADED + server_frame(1, b'{"event":"system/heartbeat"}'), 4096)
    assert client.ready.result() is False


async def test_a_refused_upgrade_fails_the_connect(wire) -> None:
    client, transport = wire
    feed(client, b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n", 4096)
    assert client.ready.result() is False and transport.closing


async def test_pings_get_masked_pongs_and_a_close_gets_a_close(wire) -> None:
    client, transport = wire
    feed(client, UPGRADED + server_frame(1, b'{"event":"system/init"}'), 4096)
    feed(client, server_frame(0x9, b"are you there") + server_frame(0x8, struct.pack("!H", 1000) + b"bye"), 3)
    assert [unmask(frame) for frame in transport.written[1:]] == [
        (0xA, b"are you there"),
        (0x8, struct.pack("!H", 1000)),
    ]
    assert client.closed_by_server


async def test_the_marker_is_the_watched_event_for_the_watched_session_only(wire) -> None:
    client, _ = wire
    seen: list[float] = []
    feed(client, UPGRADED + server_frame(1, b'{"event":"system/init"}'), 4096)
    client.watch, client.on_marker = (b'"session/state"', b'"id":"probe-1"'), lambda _c, at: seen.append(at)
    feed(client, server_frame(1, b'{"event":"session/state","payload":{"id":"other-1","is_connected":true}}'), 5)
    feed(client, server_frame(1, b'{"event":"session/created","payload":{"id":"probe-1"}}'), 5)
    assert seen == []
    state = b'{"event":"session/state","payload":{"id":"probe-1","is_connected":true}}'
    feed(client, server_frame(1, state) + server_frame(1, state), 5)
    assert len(seen) == 1 and client.watch is None  # once per arming


@contextlib.contextmanager
def serving(app: Any, **options: Any) -> Iterator[int]:
    """``app`` on a free loopback port in a uvicorn thread; the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(STOP)
        sock.close()


async def test_raw_clients_against_the_reference_server() -> None:
    token = "raw-client-test-token-0123456789"
    with serving(reference.create_app(token), ws_ping_interval=0.05, ws_ping_timeout=0.5) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            logins = [
                (await http.post("/api/login", json={"username": f"u{i}", "password": reference.USER_PASSWORD})).json()
                for i in range(2)
            ]
            watcher = await rawws.connect("127.0.0.1", port, f"/api/ws?token={logins[0]['token']}")
            assert watcher is not None
            seen = asyncio.Event()
            watcher.watch = (b'"session/state"', f'"id":"{logins[1]["id"]}"'.encode())
            watcher.on_marker = lambda _client, _at: seen.set()
            probe = await rawws.connect("127.0.0.1", port, f"/api/ws?token={logins[1]['token']}")
            assert probe is not None
            await asyncio.wait_for(seen.wait(), 5)  # the probe's connect reached the other socket
            await asyncio.sleep(0.2)
            assert watcher.pongs > 0 and not watcher.closed.done()  # pings answered: the server kept it open
            headers = {"Authorization": f"Bearer {token}"}
            response = await http.post(f"/api/sessions/{logins[0]['id']}/disconnect", headers=headers)
            assert response.status_code == 204
            await asyncio.wait_for(watcher.closed, REPLY)
            assert watcher.closed_by_server
            probe.abort()
        refused = await rawws.connect("127.0.0.1", port, "/api/ws?token=nobody")
        assert refused is None
