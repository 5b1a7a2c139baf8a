"""Clients that send nothing, send slowly, or never end their headers are cut off (``nekoapi serve``)."""

from __future__ import annotations

import os
import resource
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.patience import REPLY
from tests.support.process import ServeProcess, serve
from tests.support.redis import redis_env

TIMEOUTS = {"NEKO_SERVER_HEADER_TIMEOUT": "1", "NEKO_SERVER_BODY_TIMEOUT": "1"}
# Cut off by the configured 1 s, not the default 10 s: the 8 s past the configured one are slack for a busy machine.
CUT_OFF_WITHIN = 9.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServeProcess]:
    with serve(**TIMEOUTS) as process:
        yield process


def connect(server: ServeProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=REPLY)


def read_all(sock: socket.socket, timeout: float = REPLY) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not)."""
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_connection_that_sends_nothing_is_closed(server: ServeProcess) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""  # closed, nothing answered: there was no request
        assert time.monotonic() - started < CUT_OFF_WITHIN


def test_worker_processes_cut_off_silent_connections_too() -> None:
    with serve("--workers", "2", **redis_env(), **TIMEOUTS) as server, connect(server) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert time.monotonic() - started < CUT_OFF_WITHIN


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: ServeProcess) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + CUT_OFF_WITHIN
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
            time.sleep(0.1)
        assert closed, "the server kept a slowloris connection open"


def test_a_body_that_never_arrives_is_answered_408(server: ServeProcess) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"username":'
        )
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert body == b'{"message":"request body not received in time","code":408}'


def test_idle_connections_cannot_starve_the_server_of_descriptors() -> None:
    with serve(**TIMEOUTS) as server:
        pid = server.process.pid
        in_use = len(os.listdir(f"/proc/{pid}/fd"))
        limit = in_use + 20
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
        idle = [connect(server) for _ in range(40)]  # more than the server can hold
        try:
            # Out of descriptors, the server sheds new connections; once the idle ones are
            # dropped, it answers again.
            assert health_within(server, REPLY) is True
        finally:
            for sock in idle:
                sock.close()


SEND_LIMIT = 16 * 1024 * 1024  # far past any limit; the server must answer long before


def send_until_answered(sock: socket.socket, start: bytes, limit: int = SEND_LIMIT) -> int:
    """Send ``start``, then 64 KiB at a time until the server answers; the bytes sent by then."""
    sock.sendall(start)
    sent = len(start)
    while sent < limit and not select.select([sock], [], [], 0.01)[0]:
        sock.sendall(b"x" * 65536)
        sent += 65536
    return sent


def health_within(server: ServeProcess, seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{server.url}/health", timeout=1).json()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_never_ending_headers_are_refused_431_before_they_end(server: ServeProcess) -> None:
    with connect(server) as sock:
        sent = send_until_answered(sock, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        answer = read_all(sock)
    assert sent < SEND_LIMIT, "the server kept reading headers that never end"
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert body == b'{"message":"request headers too large","code":431}'


def test_a_never_ending_url_is_refused_414(server: ServeProcess) -> None:
    with connect(server) as sock:
        sent = send_until_answered(sock, b"GET /")
        answer = read_all(sock)
    assert sent < SEND_LIMIT
    assert answer.startswith(b"HTTP/1.1 414 ")
    assert answer.endswith(b'{"message":"request URL too long","code":414}')


def test_ordinary_requests_still_pass_within_the_limits(server: ServeProcess) -> None:
    padding = {"X-Padding": "x" * 15_000}
    assert httpx.get(f"{server.url}/health", headers=padding).json() is True
    assert httpx.get(f"{server.url}/health", headers={"X-Padding": "x" * 20_000}).status_code == 431
    with httpx.Client(base_url=server.url) as keep_alive:  # one connection, one request after another
        for _ in range(3):
            login = keep_alive.post("/api/login", json={"username": "kim", "password": "neko"}, headers=padding)
            assert login.status_code == 200
            time.sleep(1.2)  # longer than the deadlines: they are per request, not per connection
            assert keep_alive.get("/health").json() is True


def test_an_unfinished_chunked_body_is_not_taken_as_whole(server: ServeProcess) -> None:
    body = b'{"username":"half","password":"neko"}'
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n"
        )  # the last chunk never comes
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")
    admin = httpx.post(f"{server.url}/api/login", json={"username": "root", "password": "admin"}).json()
    sessions = httpx.get(f"{server.url}/api/sessions", params={"token": admin["token"]}).json()
    assert "half" not in {s["profile"]["name"] for s in sessions}  # no login happened
