"""A lean WebSocket client for the "other sockets": frame headers only.

Thousands of these share the load core with wrk and the probe, and with Neko's
protocol each of them receives O(N) messages while N sockets connect (one
``system/init`` listing every session, one broadcast per login and per
connect). A general-purpose client spends ~12 us per message decoding it; this
one reads into one buffer shared by every client of the process, parses frame
headers, and skips payloads by length without copying or decoding them. It
answers pings with masked pongs and the server's close with a close, and looks
at the first bytes of a text frame only when it is watching for one event.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable
from typing import cast

HEAD_BYTES = 128  # enough for '{"event":"session/state","payload":{"id":"<session id>"'
_READ_BUFFER = bytearray(256 * 1024)  # shared: asyncio fills it and calls buffer_updated before the next read
_OP_CONT, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def handshake(host: str, port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def client_frame(opcode: int, payload: bytes = b"") -> bytes:
    """One masked client frame (RFC 6455 5.3: every client frame is masked); control payloads <= 125 bytes."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked


class RawClient(asyncio.BufferedProtocol):
    """One socket. ``ready`` resolves True once the first text frame (``system/init``) has been read whole."""

    def __init__(self, request: bytes) -> None:
        self._request = request
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.closed_by_server = False
        self.frames = 0  # text/binary frames read whole
        self.pongs = 0
        self.watch: tuple[bytes, bytes] | None = None  # both must be in a text frame's head
        self.on_marker: Callable[[RawClient, float], None] | None = None
        self._upgraded = False
        self._pending = b""  # an HTTP head or a frame header split across reads
        self._skip = 0  # payload bytes still to pass over
        self._opcode = 0
        self._keep = 0  # of the payload, bytes still to copy into _kept (control frames, watched heads)
        self._kept = bytearray()
        self._first_is_init = False

    # --- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self.transport.write(self._request)

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(_READ_BUFFER)

    def buffer_updated(self, nbytes: int) -> None:
        view = memoryview(_READ_BUFFER)[:nbytes]
        if not self._upgraded:
            view = self._upgrade(view)
        while view:
            if self._skip:
                view = self._payload(view)
                continue
            if not self._pending and self.watch is None and self._upgraded and self.ready.done():
                view = self._pass_text_frames(view)
                if not view:
                    break
            view = self._header(view)

    def eof_received(self) -> bool | None:
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_result(False)
        if not self.closed.done():
            self.closed.set_result(None)

    # --- parsing

    def _upgrade(self, view: memoryview) -> memoryview:
        data = self._pending + bytes(view)
        end = data.find(b"\r\n\r\n")
        if end < 0:
            self._pending = data
            return memoryview(b"")
        if not data.startswith(b"HTTP/1.1 101"):
            self._fail()
            return memoryview(b"")
        self._upgraded, self._pending = True, b""
        return memoryview(data[end + 4 :])

    def _header(self, view: memoryview) -> memoryview:
        data = self._pending + bytes(view[:14]) if self._pending else view
        if len(data) < 2:
            self._pending = bytes(data)
            return memoryview(b"")
        length, size = data[1] & 0x7F, 2
        if length == 126:
            size = 4
        elif length == 127:
            size = 10
        if len(data) < size:
            self._pending = bytes(data)
            return memoryview(b"")
        if size == 4:
            length = struct.unpack_from("!H", data, 2)[0]
        elif size == 10:
            length = struct.unpack_from("!Q", data, 2)[0]
        used = size - len(self._pending)  # header bytes that came from this read
        self._pending = b""
        self._opcode = data[0] & 0x0F
        self._skip, self._kept = length, bytearray()
        control = self._opcode >= _OP_CLOSE
        self._keep = length if control else min(length, HEAD_BYTES) if self._wants_head() else 0
        if length == 0:
            self._frame_done()
        return view[used:]

    def _pass_text_frames(self, view: memoryview) -> memoryview:
        """Whole unwatched text frames in this read, passed over in one tight loop.

        They are nearly every frame of a ramp (a broadcast per login and per connect to
        every socket), so the general path's per-frame bookkeeping is skipped for them.
        """
        at, end, count = 0, len(view), 0
        while at + 2 <= end:
            if view[at] != 0x81:  # FIN + text; anything else takes the general path
                break
            length = view[at + 1]
            if length < 126:
                size = 2 + length
            elif length == 126 and at + 4 <= end:
                size = 4 + (view[at + 2] << 8 | view[at + 3])
            else:
                break
            if at + size > end:
                break
            at += size
            count += 1
        self.frames += count
        return view[at:]

    def _wants_head(self) -> bool:
        return self.watch is not None or not self.ready.done()

    def _payload(self, view: memoryview) -> memoryview:
        take = min(self._skip, len(view))
        if self._keep:
            keep = min(self._keep, take)
            self._kept += view[:keep]
            self._keep -= keep
        self._skip -= take
        if not self._skip:
            self._frame_done()
        return view[take:]

    def _frame_done(self) -> None:
        opcode, kept = self._opcode, bytes(self._kept)
        if opcode == _OP_PING:
            self._send(client_frame(_OP_PONG, kept))
            self.pongs += 1
        elif opcode == _OP_CLOSE:
            self.closed_by_server = True
            self._send(client_frame(_OP_CLOSE, kept[:2]))
        elif opcode in (_OP_TEXT, _OP_BINARY, _OP_CONT):
            self.frames += 1
            if not self.ready.done():
                self.ready.set_result(b'"system/init"' in kept)
            elif self.watch is not None and self.watch[0] in kept and self.watch[1] in kept:
                self.watch = None
                if self.on_marker is not None:
                    self.on_marker(self, time.monotonic())

    def _send(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def _fail(self) -> None:
        if not self.ready.done():
            self.ready.set_result(False)
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect(host: str, port: int, path: str, timeout: float = 60.0) -> RawClient | None:
    """A client whose ``system/init`` has arrived whole, or None (refused, closed or timed out)."""
    loop = asyncio.get_running_loop()
    try:
        _transport, client = await asyncio.wait_for(
            loop.create_connection(lambda: RawClient(handshake(host, port, path)), host, port), timeout
        )
        if await asyncio.wait_for(client.ready, timeout):
            return client
    except (OSError, TimeoutError):
        return None
    client.abort()
    return None
