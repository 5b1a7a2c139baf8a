"""The ``/api/ws`` endpoint: authenticate, attach a peer to the session, read until closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import errors, logs
from ..events import EventBus, SocketClosed, SocketMessage
from ..services import Services
from ..sessions.session import Session
from ..ws import protocol
from ..ws.limits import MessageRate, origin_allowed
from ..ws.peer import WebSocketPeer
from .security import token_from_scope
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


class _StarletteConnection:
    """The socket as the peer sees it; reports what it sends and why it closes on the bus."""

    def __init__(self, websocket: WebSocket, bus: EventBus) -> None:
        self._websocket = websocket
        self._bus = bus
        self.session_id: str | None = None

    async def send_text(self, data: str) -> None:
        await self._websocket.send_text(data)
        self._bus.publish(SocketMessage("out"))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        log.info("websocket closed by server: %s", reason)
        self._bus.publish(SocketClosed(self.session_id, reason))
        await self._websocket.close(code, reason)


async def websocket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    task = asyncio.current_task()
    assert task is not None
    services.sockets.add(task)  # shutdown waits for this socket's goodbye
    try:
        await _serve(services, scope, receive, send)
    finally:
        services.sockets.discard(task)


async def _serve(services: Services, scope: Scope, receive: Receive, send: Send) -> None:
    websocket = WebSocket(scope, receive, send)
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin_allowed(origin, host, services.config.server.cors):
        # Refused before the upgrade (HTTP 403): a foreign page must not ride the user's cookie.
        log.warning("websocket refused: origin %s is not allowed", origin)
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    connection = _StarletteConnection(websocket, services.bus)
    peer = WebSocketPeer(connection, services.config.session.send_queue_size)
    writer = asyncio.create_task(peer.run_writer())
    session = await _authenticate(services, scope, peer)
    if session is not None:
        connection.session_id = session.id
        logs.bind_session(session.id)
    if session is None or not services.sessions.connect(session, peer):
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
        peer.stop()
        await writer
        return
    log.info("websocket connected: session %s on %s", session.id, scope["path"])
    reader = asyncio.create_task(_read_messages(websocket, services, session, peer))
    overflow = asyncio.create_task(peer.too_slow.wait())
    await asyncio.wait({reader, overflow}, return_when=asyncio.FIRST_COMPLETED)
    if reader.done():
        overflow.cancel()
        abnormal = reader.result()
        if not peer.closing:  # the client ended it; server-side closes were counted by the connection
            reason = REASON_CLIENT_LOST if abnormal else REASON_CLIENT_CLOSED
            services.bus.publish(SocketClosed(session.id, reason))
            log.info("websocket closed: session %s, %s", session.id, reason)
        services.sessions.peer_closed(session, peer, abnormal=abnormal)
        peer.stop()
        await writer
        return
    await _drop_slow_client(services, session, peer, reader, writer)


async def _drop_slow_client(
    services: Services, session: Session, peer: WebSocketPeer, reader: asyncio.Task[bool], writer: asyncio.Task[None]
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
    token = token_from_scope(scope, services.config.session.cookie.name)
    try:
        if token is None:
            raise errors.NotAuthenticated()
        return await services.sessions.authenticate(token)
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
            return message.get("code", 1006) not in CLEAN_CLOSE_CODES
        raw = message.get("text") or message.get("bytes")
        if raw and (len(raw) > config.ws_max_message_size or not rate.allow()):
            reason = protocol.REASON_TOO_LARGE if len(raw) > config.ws_max_message_size else protocol.REASON_FLOODING
            log.warning("websocket of session %s closed: %s", session.id, reason)
            services.sessions.kick(session, peer, reason)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
            return False
        services.bus.publish(SocketMessage("in"))
        if raw:
            try:
                await services.client_messages.handle(session, raw)
            except Exception:
                log.exception("websocket message handler failed for session %s", session.id)


async def _read_until_closed(websocket: WebSocket) -> None:
    while True:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
