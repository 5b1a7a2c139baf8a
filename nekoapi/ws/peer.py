"""A connected WebSocket: a bounded outbox drained by one writer task.

``send`` never blocks, so one slow client cannot hold up the code that
broadcasts to everyone; a client whose outbox overflows is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from ..types import Connection
from . import protocol

log = logging.getLogger(__name__)

NORMAL_CLOSURE = 1000


class WebSocketPeer:
    def __init__(self, connection: Connection, queue_size: int) -> None:
        self._connection = connection
        self._outbox: deque[str] = deque()
        self._limit = queue_size
        self._wakeup = asyncio.Event()
        self._close_reason: str | None = None
        self._stopped = False
        # Set when the outbox overflowed: the endpoint then lets the session go at
        # once instead of waiting for a client that does not read.
        self.too_slow = asyncio.Event()

    @property
    def closing(self) -> bool:
        return self._close_reason is not None or self._stopped

    def send(self, event: str, payload: Any) -> None:
        if not self.closing:
            self.send_text(protocol.encode(event, payload))

    def send_text(self, message: str) -> None:
        """Queue an already encoded message (a broadcast is encoded once for everyone)."""
        if self.closing:
            return
        if len(self._outbox) >= self._limit:
            self._outbox.clear()
            self.destroy(protocol.REASON_TOO_SLOW)
            self.too_slow.set()
            return
        self._outbox.append(message)
        self._wakeup.set()

    def destroy(self, reason: str) -> None:
        """Tell the client why with ``system/disconnect``, then close the socket."""
        if self.closing:
            return
        self._outbox.append(protocol.encode(protocol.SYSTEM_DISCONNECT, {"message": reason}))
        self._close_reason = reason
        self._wakeup.set()

    def stop(self) -> None:
        """The socket is gone already: end the writer without sending anything."""
        self._stopped = True
        self._wakeup.set()

    async def run_writer(self) -> None:
        try:
            while not self._stopped:
                while self._outbox and not self._stopped:
                    await self._connection.send_text(self._outbox.popleft())
                if self._close_reason is not None:
                    await self._connection.close(NORMAL_CLOSURE, self._close_reason)
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
        except Exception as exc:  # the client went away mid-send
            log.debug("websocket writer stopped: %r", exc)
        finally:
            self._stopped = True
