"""The ``/api/ws`` endpoint: authenticate, attach a peer to the session, read until closed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import errors
from ..services import Services
from ..sessions.session import Session
from ..ws.peer import WebSocketPeer
from .security import token_from_scope
from .state import services_of

log = logging.getLogger(__name__)

# Close codes after which the client is not expected back; any other ending
# (no close frame, an error code) keeps the session connected for a grace period.
CLEAN_CLOSE_CODES = frozenset({1000, 1001})
# How long a refused client gets to answer our close frame.
CLOSE_HANDSHAKE_TIMEOUT = 5.0


class _StarletteConnection:
    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send_text(self, data: str) -> None:
        await self._websocket.send_text(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._websocket.close(code, reason)


async def websocket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    peer = WebSocketPeer(_StarletteConnection(websocket), services.config.session.send_queue_size)
    writer = asyncio.create_task(peer.run_writer())
    session = await _authenticate(services, scope, peer)
    if session is None or not services.sessions.connect(session, peer):
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_read_until_closed(websocket), CLOSE_HANDSHAKE_TIMEOUT)
        peer.stop()
        await writer
        return
    log.info("websocket connected: session %s", session.id)
    reader = asyncio.create_task(_read_messages(websocket, services, session))
    overflow = asyncio.create_task(peer.too_slow.wait())
    await asyncio.wait({reader, overflow}, return_when=asyncio.FIRST_COMPLETED)
    if reader.done():
        overflow.cancel()
        abnormal = reader.result()
        log.info("websocket closed: session %s%s", session.id, " (abnormal)" if abnormal else "")
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
    except (errors.NotAuthenticated, errors.LoginDisabled) as exc:
        log.info("websocket refused: %s", exc.text)
        peer.destroy(exc.text)
        return None


async def _read_messages(websocket: WebSocket, services: Services, session: Session) -> bool:
    """Dispatch client messages until the socket ends; True if it ended abnormally."""
    while True:
        try:
            message: dict[str, Any] = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return True
        if message["type"] == "websocket.disconnect":
            return message.get("code", 1006) not in CLEAN_CLOSE_CODES
        raw = message.get("text") or message.get("bytes")
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
