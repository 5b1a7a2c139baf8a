"""``/api/room/media``: the room's video and audio on a WebSocket, for browsers that no ICE path reaches.

Authenticated like ``/api/ws`` (cookie, bearer or ``?token=``); the session needs ``can_watch``. A refusal
is an HTTP answer to the upgrade (401, 403). The server sends media/wsmedia.py's binary messages; the
client sends Neko's data-channel messages, which the data channel's code applies (the host's only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from .. import errors
from ..desktop import guards
from ..media.wsmedia import SocketStream
from ..services import Services
from ..sessions import rules
from ..sessions.session import Session
from ..ws.limits import MessageRate, origin_allowed
from .cdp import deny_upgrade
from .security import session_of_scope
from .state import services_of
from .websocket import awaited_at_shutdown, over_limits, payloads

log = logging.getLogger(__name__)

MEDIA_PATH = "/api/room/media"
POLICY_VIOLATION = 1008
# Input as the data channel carries it: a pointer moves at the screen's refresh rate (144 Hz and more),
# far above /api/ws's message rate; each message is a few bytes.
INPUT_RATE = 1000  # messages a second, bursts of twice that
INPUT_MAX_SIZE = 1024  # bytes


async def media_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    websocket = WebSocket(scope, receive, send)
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin_allowed(origin, host, services.config.server.cors, scope.get("scheme", "ws")):
        log.warning("media socket refused: origin %s is not allowed", origin)
        await deny_upgrade(scope, send, errors.CannotWatch("origin not allowed"), status=403)
        return
    try:
        session = await session_of_scope(services.sessions, scope, services.config.session.cookie.name)
        guards.can_watch(session)
    except (errors.NotAuthenticated, errors.LoginDisabled, errors.CannotWatch, errors.BackingStoreUnavailable) as exc:
        log.info("media socket refused: %s", exc.text)
        await deny_upgrade(scope, send, exc)
        return
    await websocket.accept()
    with awaited_at_shutdown(services):
        await _serve(services, websocket, session)


async def _serve(services: Services, websocket: WebSocket, session: Session) -> None:
    sessions = services.sessions
    # As a WebRTC viewer's tracks: paused in private mode for whoever it hides the room from.
    stream = SocketStream(services.media.stages, lambda: not rules.private_for(session.profile, sessions.settings))
    stream.start()
    log.info("media socket connected: session %s", session.id)
    writer = asyncio.create_task(_write(websocket, stream, services, session))
    try:
        await _read(websocket, services, session, stream)
    finally:
        stream.stop()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        log.info("media socket gone: session %s (%d packets dropped as too slow)", session.id, stream.dropped)


async def _write(websocket: WebSocket, stream: SocketStream, services: Services, session: Session) -> None:
    while (message := await stream.next()) is not None:
        if not _may_still_watch(services, session):  # deleted (logged out, kicked) or its rights revoked meanwhile
            await websocket.close(POLICY_VIOLATION, errors.CannotWatch.message)
            return
        try:
            await websocket.send_bytes(message)
        except (RuntimeError, OSError, ConnectionError):
            return


def _may_still_watch(services: Services, session: Session) -> bool:
    try:
        current = services.sessions.get(session.id)
    except errors.SessionNotFound:
        return False
    profile = current.profile
    return profile.can_watch and profile.can_connect and profile.can_login


async def _read(websocket: WebSocket, services: Services, session: Session, stream: SocketStream) -> None:
    rate = MessageRate(INPUT_RATE)
    async for raw in payloads(websocket):
        if over_limits(raw, INPUT_MAX_SIZE, rate) is not None:
            await websocket.close(POLICY_VIOLATION, "too many or too large messages")
            return
        if isinstance(raw, bytes):
            services.media.input.received(session, stream, raw)
