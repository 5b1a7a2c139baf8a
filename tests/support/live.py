"""A real uvicorn server on a free loopback port, in a thread, for WebSocket tests."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
import websockets

from nekoapi.cli import EVENT_LOOP
from nekoapi.config import Config
from nekoapi.web.app import NekoServer, create_app
from nekoapi.web.frames import FrameWebSocketProtocol
from nekoapi.web.server import tls_options

from .events import check, checking_server_frames, violation
from .patience import REPLY, START, STOP


@dataclass
class LiveServer:
    app: NekoServer
    port: int
    tls: bool = False  # server.cert and server.key: https and wss
    host: str = "127.0.0.1"

    @property
    def http_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def ws_url(self, token: str | None = None) -> str:
        url = f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}/api/ws"
        return f"{url}?token={token}" if token is not None else url


@contextlib.contextmanager
def live_server(
    config: Config,
    *,
    frames: bool = True,
    overrides: Mapping[str, Any] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[LiveServer]:
    """``frames``: uvicorn's WebSocket protocol as ``nekoapi serve`` configures it; False
    for uvicorn's stock one, where sockets take the ASGI path (any other server).
    ``overrides``: parts of the app replaced from the start (e.g. a test X display), as ``Services`` takes them.
    ``host``: the address it listens on (a test network namespace's clients reach it on their link's).
    ``port``: a fixed one (a restart on the same address); 0 picks a free one."""
    app = create_app(config, validate_responses=True, overrides=overrides)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            loop=EVENT_LOOP,  # as ``nekoapi serve`` runs
            ws_ping_interval=None,
            lifespan="on",
            ws=FrameWebSocketProtocol if frames else "websockets-sansio",
            **tls_options(config.server),  # as ``nekoapi serve`` sets TLS up
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with checking_server_frames():  # what the server sends is checked against the contract
        thread.start()
        deadline = time.monotonic() + START
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        try:
            yield LiveServer(app, port, tls=bool(config.server.cert), host=host)
        finally:
            server.should_exit = True
            thread.join(STOP)
            sock.close()


class EventClient:
    """A WebSocket client that reads Neko events and waits for specific ones.

    Every event it receives is checked against the spec's declaration (tests/support/events.py):
    one the spec does not allow fails the test, when read or at ``close``.
    """

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection
        self.seen: list[dict[str, Any]] = []
        self._unread: collections.deque[dict[str, Any]] = collections.deque()
        self._violations: list[str] = []  # in events nobody read, found while closing

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> EventClient:
        return cls(await websockets.connect(url, **kwargs))

    async def next(self, timeout: float = REPLY) -> dict[str, Any]:
        if self._unread:
            return self._unread.popleft()
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        message: dict[str, Any] = orjson.loads(raw)
        check(message)
        self.seen.append(message)
        return message

    def unread(self, messages: list[dict[str, Any]]) -> None:
        """Messages read too early: ``next`` gives them again, in order, before reading more."""
        self._unread.extendleft(reversed(messages))

    async def wait_for(self, event: str, timeout: float = REPLY, **fields: Any) -> dict[str, Any]:
        """The payload of the next ``event`` whose payload has ``fields``; other events are skipped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            message = await self.next(max(remaining, 0.001))
            payload = message.get("payload")
            if message["event"] == event and all((payload or {}).get(k) == v for k, v in fields.items()):
                return payload

    async def closed(self, timeout: float = REPLY) -> websockets.frames.Close | None:
        """Read until the server closes the socket; the close frame it sent."""
        try:
            while True:
                await self.next(timeout)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd

    async def send(self, event: str, payload: Any = None) -> None:
        await self.connection.send(orjson.dumps({"event": event, "payload": payload}).decode())

    async def close(self) -> None:
        # Unread events stop websockets from reading (its queue is full), and so from seeing the
        # server's close frame: it would wait out its 10 s close timeout. Reading them meanwhile ends it at once.
        drain = asyncio.ensure_future(self._discard_unread())
        try:
            await self.connection.close()
        finally:
            drain.cancel()
        if self._violations:
            raise AssertionError(f"the server sent what its contract does not declare: {self._violations[0]}")

    async def _discard_unread(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                problem = violation(orjson.loads(await self.connection.recv()))
                if problem is not None:
                    self._violations.append(problem)
