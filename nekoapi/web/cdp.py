"""``/api/room/cdp``: the room's browser for CDP clients (Playwright, Puppeteer), under a session's credentials.

Authenticated like ``/api/ws`` (cookie, bearer or ``?token=``, through ``session_of_scope``); the
session needs ``can_automate``. A refusal is an HTTP answer to the upgrade request (401, 403, 503
with the usual JSON body), which CDP clients report as it is. Accepted sockets are routed to the
browser by desktop/cdp.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from .. import errors
from ..ws.limits import origin_allowed
from ..ws.protocol import text_frame
from .errors import error_body, status_of
from .frames import CDP_PATH, EXTENSION, FrameWebSocketProtocol
from .security import session_of_scope
from .state import services_of
from .websocket import payloads

log = logging.getLogger(__name__)

# Bytes waiting for one client before it counts as too slow (screenshots and DOM dumps are large).
SEND_QUEUE_BYTES = 64 * 1024 * 1024
GOING_AWAY, POLICY_VIOLATION = 1001, 1008
DENIAL = "websocket.http.response"


async def cdp_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    services = services_of(scope)
    websocket = WebSocket(scope, receive, send)
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin_allowed(origin, host, services.config.server.cors, scope.get("scheme", "ws")):
        log.warning("cdp refused: origin %s is not allowed", origin)
        await deny_upgrade(scope, send, errors.AutomationForbidden("origin not allowed"), status=403)
        return
    automation = services.automation
    try:
        session = await session_of_scope(services.sessions, scope, services.config.session.cookie.name)
        automation.require_agent(session)
        if not automation.devtools.available():
            raise errors.AutomationUnavailable()
    except (errors.NotAuthenticated, errors.LoginDisabled, errors.AutomationForbidden) as exc:
        log.info("cdp refused: %s", exc.text)
        await deny_upgrade(scope, send, exc)
        return
    except (errors.AutomationUnavailable, errors.BackingStoreUnavailable) as exc:
        await deny_upgrade(scope, send, exc)
        return
    await websocket.accept()
    frames = scope.get("extensions", {}).get(EXTENSION)
    sink: _FrameSink | _QueuedSink = _FrameSink(frames) if frames is not None else _QueuedSink(websocket)
    try:
        link, route = await automation.devtools.connect(sink, session.id)
    except errors.AutomationUnavailable as exc:
        sink.close(exc.text)
        await sink.drain()
        return
    log.info("cdp client connected: session %s", session.id)
    try:
        await _relay(websocket, link, route)
    finally:
        automation.devtools.disconnect(link, route)
        await sink.drain()
        log.info("cdp client gone: session %s", session.id)


async def _relay(websocket: WebSocket, link: Any, route: Any) -> None:
    async for raw in payloads(websocket):
        if raw:
            link.from_client(route, raw)


async def deny_upgrade(scope: Scope, send: Send, exc: errors.NekoError, status: int | None = None) -> None:
    """The upgrade answered with an HTTP error, where the server can (else a bare 403)."""
    if DENIAL not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        return
    code = status or status_of(exc)
    body = error_body(code, exc.text)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if code == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "websocket.http.response.start", "status": code, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


class _FrameSink:
    """Writes straight to the transport (``nekoapi serve``): no task switch per message."""

    def __init__(self, frames: FrameWebSocketProtocol) -> None:
        self._frames = frames

    def send(self, data: bytes) -> None:
        if not self._frames.write_frames(text_frame(data)):
            return
        if self._frames.write_buffer_size() > SEND_QUEUE_BYTES:
            log.warning("cdp client too slow, closed")
            self._frames.close_now(POLICY_VIOLATION, "too slow")

    def close(self, reason: str) -> None:
        self._frames.close_now(GOING_AWAY, reason[:120])

    async def drain(self) -> None:
        return None


class _QueuedSink:
    """Through ASGI messages (any other server): a queue and a writer task."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._queue: collections.deque[bytes | None] = collections.deque()
        self._bytes = 0
        self._ready = asyncio.Event()
        self._close_reason: str | None = None
        self._writer = asyncio.create_task(self._write())

    def send(self, data: bytes) -> None:
        if self._close_reason is not None:
            return
        self._bytes += len(data)
        if self._bytes > SEND_QUEUE_BYTES:
            self.close("too slow")
            return
        self._queue.append(data)
        self._ready.set()

    def close(self, reason: str) -> None:
        if self._close_reason is None:
            self._close_reason = reason[:120]
            self._queue.append(None)
            self._ready.set()

    async def _write(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await self._ready.wait()
                self._ready.clear()
                while self._queue:
                    data = self._queue.popleft()
                    if data is None:
                        await self._websocket.close(GOING_AWAY, self._close_reason or "")
                        return
                    self._bytes -= len(data)
                    await self._websocket.send_text(data.decode())

    async def drain(self) -> None:
        self.close("closed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._writer, 5.0)
        self._writer.cancel()


def debugger_url(scope: Scope, path_prefix: str) -> str:
    """``/api/room/cdp`` on this server as the request reached it; its ``?token=`` when it carried one."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    scheme = "wss" if scope.get("scheme") in ("https", "wss") else "ws"
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("127.0.0.1", 80)))
    url = f"{scheme}://{host}{path_prefix.rstrip('/')}{CDP_PATH}"
    token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return f"{url}?token={quote(token[0], safe='')}" if token else url


def version_document(version: dict[str, Any], url: str) -> dict[str, str]:
    """``Browser.getVersion`` in the shape of a DevTools server's ``/json/version``."""
    return {
        "Browser": version.get("product", ""),
        "Protocol-Version": version.get("protocolVersion", ""),
        "User-Agent": version.get("userAgent", ""),
        "V8-Version": version.get("jsVersion", ""),
        "WebKit-Version": f"537.36 ({version.get('revision', '')})",
        "webSocketDebuggerUrl": url,
    }
