"""The room's browser over the Chrome DevTools Protocol, shared by several clients through its one pipe.

Chromium's ``--remote-debugging-pipe`` is a single connection (JSON messages ending in NUL). Each
client gets a browser-target session of its own on it (``Target.attachToBrowserTarget``), which
behaves as a connection of its own: its own enabled domains, its own auto-attached pages. A
client's message without a ``sessionId`` is given its browser session; one with a ``sessionId``
must name a session the client owns (one attached through its own sessions). Message ids are
renumbered on the way in, so that replies find their client and get its id back; events are routed
by the session they name. Nothing a client sends reaches another client's sessions.

After each start of the browser, clients wait until its start pages have committed
(desktop/startpage.py). Input (the ``Input`` domain) passes a gate first: while a human has taken
the browser over (desktop/automation.py) it is answered with a CDP error instead of reaching the
browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from .. import errors
from .chromium import DevToolsPipe
from .startpage import start_pages_committed

log = logging.getLogger("nekoapi.desktop.cdp")

# Largest message the browser may send us (a full-page screenshot, a big DOM); a longer one ends the link.
MAX_BROWSER_MESSAGE = 512 * 1024 * 1024
CALL_TIMEOUT = 10.0
# JSON-RPC error codes as Chromium's own DevTools server uses them.
INVALID_JSON, INVALID_REQUEST, SERVER_ERROR, NO_SESSION = -32700, -32600, -32000, -32001
INPUT_DOMAIN = "Input."


class CdpClient(Protocol):
    """One client's socket, as the router sees it."""

    def send(self, data: bytes) -> None: ...

    def close(self, reason: str) -> None: ...


class Route:
    """A client on the browser: its browser session and every child session it owns."""

    __slots__ = ("browser_session", "client", "closed", "owner", "sessions")

    def __init__(self, browser_session: str, client: CdpClient, owner: str) -> None:
        self.browser_session = browser_session
        self.client = client
        self.owner = owner  # the nekoapi session id the client authenticated as
        self.sessions: set[str] = {browser_session}
        self.closed = False


class DevToolsLink:
    """One browser process's pipe: routes messages between it and the clients' routes."""

    def __init__(self, pipe: DevToolsPipe, gate: Callable[[], str | None]) -> None:
        self._pipe = pipe
        self._gate = gate
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[Route | None, int, str]] = {}
        self._calls: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._routes: dict[str, Route] = {}
        self._reader: asyncio.ReadTransport | None = None
        self._writer: asyncio.WriteTransport | None = None
        self.closed = asyncio.Event()

    # --- the pipe ---

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        source, sink = os.fdopen(self._pipe.read_fd, "rb", 0), os.fdopen(self._pipe.write_fd, "wb", 0)
        # Messages are handled as the bytes arrive, without a reader task to wake per message.
        self._reader, _ = await loop.connect_read_pipe(lambda: _PipeReader(self._from_browser, self._shut), source)
        self._writer, _ = await loop.connect_write_pipe(asyncio.Protocol, sink)

    def close(self) -> None:
        self._shut("the browser is restarting")

    def _shut(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for transport in (self._reader, self._writer):
            if transport is not None:
                transport.close()
        for route in {*self._routes.values()}:
            route.closed = True
            route.client.close(reason)
        self._routes.clear()
        for future in self._calls.values():
            if not future.done():
                future.set_exception(errors.AutomationUnavailable("the browser closed"))
        self._calls.clear()

    def _write(self, message: dict[str, Any]) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(orjson.dumps(message) + b"\0")

    # --- nekoapi's own commands, on the root connection ---

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """A command of nekoapi's own (on the root connection, or on a ``session`` it attached)."""
        if self.closed.is_set():
            raise errors.AutomationUnavailable("the browser closed")
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._calls[message_id] = future
        self._pending[message_id] = (None, message_id, method)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._write(message)
        try:
            reply = await asyncio.wait_for(future, CALL_TIMEOUT)
        except TimeoutError:
            raise errors.AutomationUnavailable(f"the browser did not answer {method}") from None
        finally:
            self._calls.pop(message_id, None)
        if "error" in reply:
            raise errors.AutomationUnavailable(f"the browser refused {method}: {reply['error'].get('message')}")
        return reply.get("result", {})  # type: ignore[no-any-return]

    async def attach(self, client: CdpClient, owner: str) -> Route:
        result = await self.call("Target.attachToBrowserTarget")
        route = Route(result["sessionId"], client, owner)
        self._routes[route.browser_session] = route
        return route

    def detach(self, route: Route) -> None:
        if route.closed:
            return
        route.closed = True
        for session in route.sessions:
            if self._routes.get(session) is route:
                del self._routes[session]
        # Its pages, paused targets and enabled domains go with its browser session.
        message_id = next(self._ids)
        self._pending[message_id] = (None, message_id, "Target.detachFromTarget")
        params = {"sessionId": route.browser_session}
        self._write({"id": message_id, "method": "Target.detachFromTarget", "params": params})

    def clients(self) -> list[Route]:
        return list({id(r): r for r in self._routes.values()}.values())

    # --- client -> browser ---

    def from_client(self, route: Route, raw: str | bytes) -> None:
        if route.closed:
            return
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            route.client.send(_error(None, None, INVALID_JSON, "Message must be valid JSON"))
            return
        if not isinstance(message, dict):
            route.client.send(_error(None, None, INVALID_REQUEST, "Message must be an object"))
            return
        client_id, method, session = message.get("id"), message.get("method"), message.get("sessionId")
        if type(client_id) is not int or type(method) is not str:
            bad_id = client_id if type(client_id) is int else None
            reason = "Message must have integer 'id' and string 'method' properties"
            route.client.send(_error(bad_id, session, INVALID_REQUEST, reason))
            return
        if session is None:
            message["sessionId"] = route.browser_session
        elif self._routes.get(session) is not route:
            route.client.send(_error(client_id, session, NO_SESSION, "Session with given id not found."))
            return
        if method.startswith(INPUT_DOMAIN):
            refusal = self._gate()
            if refusal is not None:
                route.client.send(_error(client_id, session, SERVER_ERROR, refusal))
                return
        message_id = next(self._ids)
        self._pending[message_id] = (route, client_id, method)
        message["id"] = message_id
        self._write(message)

    # --- browser -> clients ---

    def _from_browser(self, raw: bytes) -> None:
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("devtools pipe: a message that is not JSON was dropped")
            return
        message_id = message.get("id")
        if message_id is not None:
            self._reply(message_id, message)
            return
        session = message.get("sessionId")
        route = self._routes.get(session) if session is not None else None
        if route is None:
            self._root_event(message)
            return
        method, params = message.get("method"), message.get("params") or {}
        if method == "Target.attachedToTarget":
            self._own(route, params.get("sessionId"))
        elif method == "Target.detachedFromTarget":
            self._disown(route, params.get("sessionId"))
        self._deliver(route, message)

    def _reply(self, message_id: int, message: dict[str, Any]) -> None:
        entry = self._pending.pop(message_id, None)
        if entry is None:
            return
        route, client_id, method = entry
        if route is None:
            future = self._calls.get(message_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        if route.closed:
            return
        message["id"] = client_id
        if method in ("Target.attachToTarget", "Target.attachToBrowserTarget"):
            self._own(route, (message.get("result") or {}).get("sessionId"))
        self._deliver(route, message)

    def _root_event(self, message: dict[str, Any]) -> None:
        if message.get("method") != "Target.detachedFromTarget":
            return  # the root's own events (our browser sessions attaching) concern no client
        route = self._routes.get((message.get("params") or {}).get("sessionId"))
        if route is not None and route.browser_session == message["params"]["sessionId"]:
            self.detach(route)
            route.client.close("the browser detached the session")

    def _own(self, route: Route, session: Any) -> None:
        if isinstance(session, str):
            route.sessions.add(session)
            self._routes[session] = route

    def _disown(self, route: Route, session: Any) -> None:
        if isinstance(session, str) and session != route.browser_session:
            route.sessions.discard(session)
            if self._routes.get(session) is route:
                del self._routes[session]

    def _deliver(self, route: Route, message: dict[str, Any]) -> None:
        if message.get("sessionId") == route.browser_session:
            del message["sessionId"]
        route.client.send(orjson.dumps(message))


class _PipeReader(asyncio.Protocol):
    """Splits the browser's output at its NUL separators; a message longer than the bound ends the link."""

    def __init__(self, on_message: Callable[[bytes], None], on_end: Callable[[str], None]) -> None:
        self._on_message, self._on_end = on_message, on_end
        self._buffer = bytearray()
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        while (end := self._buffer.find(b"\0", start)) >= 0:
            try:
                self._on_message(bytes(self._buffer[start:end]))
            except Exception:  # one message a client could not be given must not end the link
                log.exception("devtools pipe: a message could not be routed")
            start = end + 1
        del self._buffer[:start]
        if len(self._buffer) > MAX_BROWSER_MESSAGE and self._transport is not None:
            log.warning("devtools pipe: a message over %d bytes; the link is closed", MAX_BROWSER_MESSAGE)
            self._transport.close()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        log.info("devtools pipe closed")
        self._on_end("the browser closed")


async def _open(link: DevToolsLink) -> None:
    await link.open()
    await start_pages_committed(link)  # clients wait for it: see desktop/startpage.py


def _error(message_id: int | None, session: Any, code: int, text: str) -> bytes:
    reply: dict[str, Any] = {"error": {"code": code, "message": text}}
    if message_id is not None:
        reply["id"] = message_id
    if isinstance(session, str):
        reply["sessionId"] = session
    return orjson.dumps(reply)


class DevTools:
    """The room's browser for CDP clients: follows each start of the browser (``on_devtools``)."""

    def __init__(self, gate: Callable[[], str | None]) -> None:
        self._gate = gate
        self._link: DevToolsLink | None = None
        self._opening: asyncio.Task[None] | None = None
        self.on_clients: Callable[[], None] = lambda: None  # told when a client comes or goes

    def on_devtools(self, pipe: DevToolsPipe) -> None:
        """A browser started with this pipe (called by the app supervisor)."""
        if self._link is not None:
            self._link.close()
        link = DevToolsLink(pipe, self._gate)
        self._link = link
        self._opening = asyncio.create_task(_open(link), name="devtools-open")

    async def _current(self) -> DevToolsLink:
        link, opening = self._link, self._opening
        if link is None or opening is None or link.closed.is_set():
            raise errors.AutomationUnavailable("the room's browser is not running")
        try:
            await opening
        except OSError as exc:
            raise errors.AutomationUnavailable(f"the room's browser cannot be reached ({exc})") from None
        return link

    def available(self) -> bool:
        return self._link is not None and not self._link.closed.is_set()

    async def connect(self, client: CdpClient, owner: str) -> tuple[DevToolsLink, Route]:
        link = await self._current()
        route = await link.attach(client, owner)
        self.on_clients()
        return link, route

    def disconnect(self, link: DevToolsLink, route: Route) -> None:
        link.detach(route)
        self.on_clients()

    def routes(self) -> list[Route]:
        link = self._link
        return link.clients() if link is not None and not link.closed.is_set() else []

    async def version(self) -> dict[str, Any]:
        link = await self._current()
        return await link.call("Browser.getVersion")

    async def stop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()
        if self._opening is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._opening
