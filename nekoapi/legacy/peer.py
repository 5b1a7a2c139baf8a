"""A v2 client's socket as the room sees it: a ``types.Peer`` that takes the room's v3 messages
and sends what they are in v2 (``outbound.py``), through the same bounded outbox as a v3 socket.

This is where Neko's legacy layer keeps a second WebSocket to its own server and rewrites what
comes back (``server/internal/http/legacy/handler.go``); here the room hands its messages to
this peer directly, and a broadcast framed once for the v3 sockets is read back here, for the
few v2 ones.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ..types import Connection, Frame
from ..ws import protocol
from ..ws.peer import QueuedPeer
from .outbound import ToClient, disconnect
from .shapes import V2Message

log = logging.getLogger(__name__)


class V2Peer(QueuedPeer):
    __slots__ = ("translator",)

    def __init__(self, connection: Connection, queue_size: int, queue_bytes: int, translator: ToClient) -> None:
        super().__init__(connection, queue_size, queue_bytes)
        self.translator = translator

    def send(self, event: str, payload: Any) -> None:
        if not self.closing:
            self._translated(event, payload)

    def send_frame(self, frame: Frame) -> None:
        if self.closing:
            return
        data = b"".join(frame) if isinstance(frame, tuple) else frame
        decoded = orjson.loads(protocol.frame_text(data))
        self._translated(decoded["event"], decoded["payload"])

    def reply(self, message: V2Message) -> None:
        """A v2 message of the v2 layer's own (an answer, an echo, a refusal)."""
        if not self.closing:
            super().send_frame(encode(message))

    def goodbye(self, reason: str) -> bytes:
        return encode(disconnect(reason))

    def _translated(self, event: str, payload: Any) -> None:
        try:
            messages = self.translator.translate(event, payload)
        except (KeyError, TypeError, ValueError):
            # Neko's layer logs a message it cannot rewrite and goes on.
            log.exception("v2: could not translate %s for session %s", event, self.translator.session_id)
            return
        for message in messages:
            super().send_frame(encode(message))


def encode(message: V2Message) -> bytes:
    return protocol.text_frame(orjson.dumps(message))
