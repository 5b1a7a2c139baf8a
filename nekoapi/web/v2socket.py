"""The ``/ws`` endpoint (Neko's v2 WebSocket, with ``legacy``): log in from the query, attach the
v2 peer to the session, read until closed, log out (the layer itself is ``nekoapi/legacy/``).

As Neko's ``server/internal/http/legacy/handler.go``, the socket is upgraded before the login, so a
refusal is told in v2's words (``system/disconnect``) and the socket then closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..events import SocketClosed, SocketMessage
from ..legacy.gateway import Refused
from ..legacy.room import V2Client
from ..services import Services
from ..ws.limits import MessageRate, origin_allowed
from .state import services_of
from .websocket import (
    CLOSE_HANDSHAKE_TIMEOUT,
    POLICY_VIOLATION,
    REASON_CLIENT_CLOSED,
    StarletteConnection,
    awaited_at_shutdown,
    over_limits,
    payloads,
)

log = logging.getLogger(__name__)
V2_WEBSOCKET_PATH = "/ws"


async def v2_websocket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    with awaited_at_shutdown(services):
        await _serve(services, WebSocket(scope, receive, send))


async def _serve(services: Services, websocket: WebSocket) -> None:
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin_allowed(origin, host, services.config.server.cors, websocket.scope.get("scheme", "ws")):
        log.warning("v2 websocket refused: origin %s is not allowed", origin)
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    query = parse_qs(websocket.scope.get("query_string", b"").decode("latin-1"))
    username, password = query.get("username", [""])[0], query.get("password", [""])[0]
    client_address = websocket.scope.get("client")
    address = client_address[0] if client_address else None
    connection = StarletteConnection(websocket, services.bus)
    try:
        client = await services.legacy.open(connection, username, password, address)
    except Refused as refusal:
        await _refuse(websocket, refusal)
        return
    connection.session_id = client.session.id
    await _run(services, websocket, client)


async def _run(services: Services, websocket: WebSocket, client: V2Client) -> None:
    writer = asyncio.create_task(client.peer.run_writer())
    if services.sessions.connect(client.session, client.peer):
        log.info("v2 websocket connected: session %s", client.session.id)
        await services.legacy.start(client)
        await _read_messages(websocket, services, client)
        if not client.peer.closed_by_server:
            services.bus.publish(SocketClosed(client.session.id, REASON_CLIENT_CLOSED))
        services.sessions.peer_closed(client.session, client.peer, abnormal=False)
    await services.legacy.close(client)
    if not client.peer.closed_by_server:
        client.peer.stop()  # the client went: nothing more to write
    # Else the writer still owes the client its goodbye and a close frame, within bounds.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(writer, CLOSE_HANDSHAKE_TIMEOUT)


async def _refuse(websocket: WebSocket, refusal: Refused) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.send_text(orjson.dumps(refusal.goodbye).decode())
        await websocket.close(1000)


async def _read_messages(websocket: WebSocket, services: Services, client: V2Client) -> None:
    """Do the client's messages until the socket ends (or is ended for flooding it)."""
    config = services.config.session
    rate = MessageRate(config.ws_message_rate)
    async for raw in payloads(websocket):
        if client.peer.closing:
            continue  # said goodbye: read on until the client answers the close
        reason = over_limits(raw, config.ws_max_message_size, rate)
        if reason is not None:
            log.warning("v2 websocket of session %s closed: %s", client.session.id, reason)
            services.sessions.kick(client.session, client.peer, reason)
            continue
        services.bus.publish(SocketMessage("in"))
        if raw:
            try:
                await services.legacy.inbound.handle(client, raw)
            except Exception:
                log.exception("v2 websocket message handler failed for session %s", client.session.id)
