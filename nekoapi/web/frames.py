"""uvicorn's sans-I/O WebSocket protocol, plus synchronous writes of prebuilt frames.

uvicorn's ASGI ``send`` frames every message per socket and needs one awaited call
(a task switch) per message. A broadcast frame is the same bytes for every socket, so
``nekoapi serve`` uses this subclass, which offers the application, through the scope
extension ``EXTENSION``, a way to hand those bytes to the transport directly. The
protocol's own state still decides: nothing is written before the handshake or after
a close frame, and a close goes through the same steps as an ASGI ``websocket.close``.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "nekoapi.websocket.frames"


class FrameWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and not self.close_sent:
            # The ASGI task was created but has not started; it sees the extension.
            scope["extensions"][EXTENSION] = self

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

    def write_frames(self, data: bytes) -> bool:
        """Write complete frames; False (nothing written) once the socket is not open."""
        if not self.open:
            return False
        self.transport.write(data)
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
