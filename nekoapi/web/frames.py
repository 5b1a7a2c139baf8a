"""uvicorn's sans-I/O WebSocket protocol, plus synchronous writes of prebuilt frames.

uvicorn's ASGI ``send`` frames every message per socket and needs one awaited call
(a task switch) per message. A broadcast frame is the same bytes for every socket, so
``nekoapi serve`` uses this subclass, which offers the application, through the scope
extension ``EXTENSION``, a way to hand those bytes to the transport directly. The
protocol's own state still decides: nothing is written before the handshake or after
a close frame, and a close goes through the same steps as an ASGI ``websocket.close``.

A message larger than ``ws_max_size`` is refused by the frame parser from its header,
before it is read. uvicorn would then close with 1009 and nothing else; this protocol
says why first, with the ``system/disconnect`` Neko clients understand, and tells the
application with a marked ``websocket.disconnect`` (``TOO_LARGE``).

uvicorn's own shutdown closes every socket still open with 1012 and nothing else, whichever
server runs it (a worker the supervisor restarted runs uvicorn's plain one). The application
hands the protocol a ``farewell`` for that moment: it says goodbye as any server-side close
does, before uvicorn's close.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import PayloadTooBig
from websockets.frames import Close, Frame, Opcode

from ..sessions import reasons
from ..ws import protocol

log = logging.getLogger(__name__)

EXTENSION = "nekoapi.websocket.frames"
# Set on the websocket.disconnect event of a socket closed for an oversized message.
TOO_LARGE = "nekoapi.too_large"
MESSAGE_TOO_BIG = 1009
_OVERSIZED_GOODBYE = protocol.frame(protocol.SYSTEM_DISCONNECT, {"message": reasons.TOO_LARGE}) + Frame(
    Opcode.CLOSE, Close(MESSAGE_TOO_BIG, reasons.TOO_LARGE).serialize()
).serialize(mask=False)
# CDP clients send whole scripts in one message: the CDP endpoint (web/cdp.py) takes far larger ones.
CDP_PATH = "/api/room/cdp"
CDP_MAX_MESSAGE = 256 * 1024 * 1024
# How long the rest of an oversized message is read (and dropped) before the connection closes:
# closing with unread data would reset it, and the client could lose the goodbye.
_REFUSED_LINGER = 1.0


class FrameWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # asyncio's Queue and Event hold five deques (~3.5 KB) per socket; these do the
        # same for the one reader and the one sender a socket has.
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Flag(is_set=True)  # type: ignore[assignment]
        # Says goodbye on this socket (given by the application once it knows what to say).
        self.farewell: Callable[[], None] | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.farewell = None  # it holds the application's peer, which holds this protocol: no cycle left
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """uvicorn's shutdown: the application's goodbye first, then uvicorn's own close."""
        farewell, self.farewell = self.farewell, None
        if farewell is not None and self.open:
            try:
                farewell()
            except Exception:  # uvicorn's close must still happen
                log.exception("websocket farewell failed")
        super().shutdown()

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)
        if self.conn.parser_exc is None:
            self.handle_events()
        elif self.close_sent:
            return  # what follows our close frame is dropped
        elif isinstance(self.conn.parser_exc, PayloadTooBig) and self.open:
            self._refuse_oversized()
        else:
            self.handle_parser_exception()

    def _refuse_oversized(self) -> None:
        self.conn.data_to_send()  # the parser's bare 1009 close: ours says it in Neko's words
        self.transport.write(_OVERSIZED_GOODBYE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.close_sent = True
        reason = reasons.TOO_LARGE
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG, "reason": reason, TOO_LARGE: True}
        )
        self.close_timer = self.loop.call_later(_REFUSED_LINGER, self.transport.close)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and scope["path"].endswith(CDP_PATH):
            self.conn.max_message_size = CDP_MAX_MESSAGE
        if scope is not None and not self.close_sent:
            # The ASGI task was created but has not started; it sees the extension.
            scope["extensions"][EXTENSION] = self

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete:
            # The handshake's request and response (headers and all) are not needed again.
            self.request = self.response = None  # type: ignore[assignment]

    @property
    def open(self) -> bool:
        """Accepted, not closed by either side: frames may be written."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and not self.transport.is_closing()
        )

    def write_frames(self, data: bytes | list[bytes]) -> bool:
        """Write complete frames (a list: in parts, not joined); False once the socket is not open."""
        if not self.open:
            return False
        if type(data) is list:
            self.transport.writelines(data)
        else:
            self.transport.write(data)  # type: ignore[arg-type]
        return True

    def write_buffer_size(self) -> int:
        """Bytes written but not yet taken by the kernel: what a client that does not read leaves."""
        return self.transport.get_write_buffer_size()

    def close_now(self, code: int, reason: str) -> bool:
        """Send a close frame now, exactly as an ASGI ``websocket.close`` would."""
        if not self.open:
            return False
        # The application's receive() ends, as after an ASGI close.
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)
        return True

    def abort(self) -> None:
        """Drop the connection, unsent bytes included (a client that stopped reading)."""
        if not self.disconnected:
            self.transport.abort()


class _Inbox:
    """The part of ``asyncio.Queue`` uvicorn uses: unbounded, one reader at a time."""

    __slots__ = ("_getter", "_items")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._getter = asyncio.get_running_loop().create_future()
            try:
                await self._getter
            finally:
                self._getter = None
        return self._items.pop(0)


class _Flag:
    """The part of ``asyncio.Event`` uvicorn uses, without a deque of waiters per socket."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, *, is_set: bool) -> None:
        self._set = is_set
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True
