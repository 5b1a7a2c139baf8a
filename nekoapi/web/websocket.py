"""The ``/api/ws`` endpoint: authenticate, attach a peer to the session, read until closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import errors, logs
from ..events import EventBus, SocketClosed, SocketMessage
from ..services import Services
from ..sessions import reasons
from ..sessions.session import Session
from ..ws.limits import MessageRate, origin_allowed
from ..ws.peer import FramePeer, QueuedPeer, WebSocketPeer
from .frames import EXTENSION, TOO_LARGE, FrameWebSocketProtocol
from .security import session_of_scope
from .state import services_of

log = logging.getLogger(__name__)

# Close codes after which the client is not expected back; any other ending
# (no close frame, an error code) keeps the session connected for a grace period.
CLEAN_CLOSE_CODES = frozenset({1000, 1001})
# Disconnect reasons (for metrics and logs) when the client, not the server, ended the socket.
REASON_CLIENT_CLOSED = "client closed"
REASON_CLIENT_LOST = "connection lost"
# How long a refused client gets to answer our close frame.
CLOSE_HANDSHAKE_TIMEOUT = 5.0
POLICY_VIOLATION = 1008


class StarletteConnection:
    """The socket through Starlette, for a ``QueuedPeer``; reports what it sends and why it closes."""

    def __init__(self, websocket: WebSocket, bus: EventBus) -> None:
        self._websocket = websocket
        self._bus = bus
        self.session_id: str | None = None

    async def send_text(self, data: str) -> None:
        with _gone_as_connection_error():
            await self._websocket.send_text(data)
        self._bus.publish(SocketMessage("out"))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        _closed_by_server(self._bus, self.session_id, reason)
        with _gone_as_connection_error():
            await self._websocket.close(code, reason)


@contextlib.contextmanager
def _gone_as_connection_error() -> Iterator[None]:
    """What Starlette and the ASGI server raise for a socket the client closed, as ``types.Connection`` says."""
    try:
        yield
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        raise ConnectionError(f"websocket gone: {exc!r}") from exc


class _FrameConnection:
    """The socket through the frame extension of ``nekoapi serve``, for a ``FramePeer``."""

    __slots__ = ("_bus", "_protocol", "session_id")

    def __init__(self, protocol: FrameWebSocketProtocol, bus: EventBus) -> None:
        self._protocol = protocol
        self._bus = bus
        self.session_id: str | None = None

    def write_frames(self, data: bytes | list[bytes]) -> bool:
        return self._protocol.write_frames(data)

    def write_buffer_size(self) -> int:
        return self._protocol.write_buffer_size()

    def close(self, code: int, reason: str) -> None:
        _closed_by_server(self._bus, self.session_id, reason)
        self._protocol.close_now(code, reason)

    def farewell_on_shutdown(self, farewell: Callable[[], None]) -> None:
        """What the server's shutdown says on this socket, whichever server runs it."""
        self._protocol.farewell = farewell

    def abort(self) -> None:
        self._protocol.abort()


def _closed_by_server(bus: EventBus, session_id: str | None, reason: str) -> None:
    log.info("websocket closed by server: %s", reason)
    bus.publish(SocketClosed(session_id, reason))


@contextlib.contextmanager
def awaited_at_shutdown(services: Services) -> Iterator[None]:
    """The serving task of a socket, which shutdown waits for so that its goodbye is sent."""
    task = asyncio.current_task()
    assert task is not None
    services.sockets.add(task)
    try:
        yield
    finally:
        services.sockets.discard(task)


def over_limits(raw: str | bytes | None, max_size: int, rate: MessageRate) -> str | None:
    """Why a client's message ends its session (too large, or one too many in a second), if it does."""
    if not raw:
        return None
    if len(raw) > max_size:
        return reasons.TOO_LARGE
    return None if rate.allow() else reasons.FLOODING


async def payloads(websocket: WebSocket) -> AsyncIterator[str | bytes | None]:
    """Each client message's text or bytes (None for an empty one), until the socket ends."""
    while True:
        try:
            message: dict[str, Any] = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        yield message.get("text") or message.get("bytes")


async def websocket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    with awaited_at_shutdown(services):
        await _serve(services, scope, receive, send)


async def _serve(services: Services, scope: Scope, receive: Receive, send: Send) -> None:
    websocket = WebSocket(scope, receive, send)
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin_allowed(origin, host, services.config.server.cors, scope.get("scheme", "ws")):
        # Refused before the upgrade (HTTP 403): a foreign page must not ride the user's cookie.
        log.warning("websocket refused: origin %s is not allowed", origin)
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    frames = scope.get("extensions", {}).get(EXTENSION)
    if frames is not None:
        await _serve_frames(services, scope, websocket, _FrameConnection(frames, services.bus))
    else:
        await _serve_queued(services, scope, websocket)


async def _serve_frames(services: Services, scope: Scope, websocket: WebSocket, connection: _FrameConnection) -> None:
    """One task per socket: the peer writes synchronously, and any server-side close ends the reads."""
    limits = services.config.session
    peer = FramePeer(connection, services.broadcaster.flusher, limits.send_queue_size, limits.send_queue_bytes)
    # Also a socket still being authenticated when the server stops hears why it closes.
    connection.farewell_on_shutdown(lambda: peer.destroy(reasons.SHUTDOWN))
    session = await _open(services, scope, peer, connection)
    if session is None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
        peer.stop()
        return
    abnormal = await _read_messages(websocket, services, session, peer)
    if peer.too_slow:
        log.info("websocket too slow, closed: session %s", session.id)
        # It may never read its close frame; the connection goes after the usual wait.
        asyncio.get_running_loop().call_later(CLOSE_HANDSHAKE_TIMEOUT, connection.abort)
    _ended(services, session, peer, abnormal)


async def _serve_queued(services: Services, scope: Scope, websocket: WebSocket) -> None:
    connection = StarletteConnection(websocket, services.bus)
    limits = services.config.session
    peer = QueuedPeer(connection, limits.send_queue_size, limits.send_queue_bytes)
    writer = asyncio.create_task(peer.run_writer())
    session = await _open(services, scope, peer, connection)
    if session is None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
        peer.stop()
        await writer
        return
    reader = asyncio.create_task(_read_messages(websocket, services, session, peer))
    overflow = asyncio.create_task(peer.overflow.wait())
    await asyncio.wait({reader, overflow}, return_when=asyncio.FIRST_COMPLETED)
    if reader.done():
        overflow.cancel()
        _ended(services, session, peer, reader.result())
        await writer
        return
    await _drop_slow_client(services, session, peer, reader, writer)


async def _open(
    services: Services, scope: Scope, peer: WebSocketPeer, connection: _FrameConnection | StarletteConnection
) -> Session | None:
    """The session the socket now serves; None when it was refused (and is being closed)."""
    session = await _authenticate(services, scope, peer)
    if session is not None:
        connection.session_id = session.id
        logs.bind_session(session.id)
    if session is None or not services.sessions.connect(session, peer):
        return None
    log.info("websocket connected: session %s on %s", session.id, scope["path"])
    return session


def _ended(services: Services, session: Session, peer: WebSocketPeer, abnormal: bool) -> None:
    if not peer.closed_by_server:  # the client ended it; server-side closes were counted by the connection
        reason = REASON_CLIENT_LOST if abnormal else REASON_CLIENT_CLOSED
        services.bus.publish(SocketClosed(session.id, reason))
        log.info("websocket closed: session %s, %s", session.id, reason)
    services.sessions.peer_closed(session, peer, abnormal=abnormal)
    peer.stop()


async def _drop_slow_client(
    services: Services, session: Session, peer: QueuedPeer, reader: asyncio.Task[bool], writer: asyncio.Task[None]
) -> None:
    """The client stopped reading: the session leaves now; the socket gets a bounded chance to close."""
    log.info("websocket too slow, closing: session %s", session.id)
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    services.sessions.peer_closed(session, peer, abnormal=False)
    # The writer still owes the client system/disconnect and a close frame; a
    # client that never reads again would keep it waiting forever.
    try:
        await asyncio.wait_for(writer, CLOSE_HANDSHAKE_TIMEOUT)
    except TimeoutError:
        log.info("websocket of session %s did not drain; abandoned", session.id)


async def _authenticate(services: Services, scope: Scope, peer: WebSocketPeer) -> Session | None:
    try:
        return await session_of_scope(services.sessions, scope, services.config.session.cookie.name)
    except (errors.NotAuthenticated, errors.LoginDisabled, errors.BackingStoreUnavailable) as exc:
        log.info("websocket refused: %s", exc.text)
        peer.destroy(exc.text)
        return None


async def _read_messages(websocket: WebSocket, services: Services, session: Session, peer: WebSocketPeer) -> bool:
    """Dispatch client messages until the socket ends; True if it ended abnormally."""
    config = services.config.session
    rate = MessageRate(config.ws_message_rate)
    while True:
        try:
            message: dict[str, Any] = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return True
        if message["type"] == "websocket.disconnect":
            if message.get(TOO_LARGE):
                # Refused by the frame protocol, which said goodbye already: the session is kicked.
                _kick(services, session, peer, reasons.TOO_LARGE)
                return False
            return message.get("code", 1006) not in CLEAN_CLOSE_CODES
        raw = message.get("text") or message.get("bytes")
        reason = over_limits(raw, config.ws_max_message_size, rate)
        if reason is not None:
            _kick(services, session, peer, reason)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
            return False
        services.bus.publish(SocketMessage("in"))
        if raw:
            try:
                await services.client_messages.handle(session, raw)
            except Exception:
                log.exception("websocket message handler failed for session %s", session.id)


def _kick(services: Services, session: Session, peer: WebSocketPeer, reason: str) -> None:
    log.warning("websocket of session %s closed: %s", session.id, reason)
    services.sessions.kick(session, peer, reason)


async def _read_until_closed(websocket: WebSocket) -> None:
    async for _ in payloads(websocket):
        pass
