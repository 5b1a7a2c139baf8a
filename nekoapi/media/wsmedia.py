"""Media over a WebSocket, for a browser that no ICE path reaches: the viewers' packets, framed for WebCodecs.

A ``SocketStream`` listens to the best rung's video stage and to the audio stage as a viewer's tracks do, so
nothing is encoded a second time. Each packet becomes one binary message: a fixed header (see ``HEADER``,
declared in the spec's ``x-media-websocket``) and the codec's bytes. The queue per socket is bounded: a client
that reads too slowly loses its queued video and gets the next keyframe (asked for at once); audio that does
not fit is dropped.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .stages import Stages

# kind u8, flags u8, codec u8, reserved u8, timestamp u64 (µs), big-endian; then the payload.
HEADER = struct.Struct(">BBBBQ")
KIND_VIDEO, KIND_AUDIO, KIND_DATA = 1, 2, 3  # data: Neko's data-channel messages to the client (pong)
FLAG_KEYFRAME = 0x01
CODECS = {"vp8": 1, "vp9": 2, "av1": 3, "h264": 4, "opus": 16}
VIDEO_CLOCK = Fraction(1, 90000)  # the video stages' pts
QUEUE_LIMIT = 60  # messages; beyond it the client is too slow


def frame(kind: int, codec: int, timestamp_us: int, payload: bytes, keyframe: bool = False) -> bytes:
    return HEADER.pack(kind, FLAG_KEYFRAME if keyframe else 0, codec, 0, max(0, timestamp_us)) + payload


def _micros(packet: Any, clock: Fraction) -> int:
    time_base = packet.time_base or clock
    return int((packet.pts or 0) * time_base * 1_000_000)


class SocketStream:
    """One socket's messages: packets from the shared stages behind a bounded queue."""

    def __init__(self, stages: Stages, watching: Callable[[], bool] = lambda: True, limit: int = QUEUE_LIMIT) -> None:
        """``watching``: False while the session may not see the room (private mode): nothing is queued."""
        self._stages = stages
        self._watching = watching
        self._paused = False
        self._limit = limit
        self._video = stages.video(stages.ladder.ids[0])
        self._video_codec = CODECS.get(stages.ladder.codec, 0)
        self._audio = stages.audio() if stages.audio_codec == "opus" else None  # WebCodecs decodes Opus only
        self._queue: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._need_key = True
        self.dropped = 0  # packets dropped because the client read too slowly
        self.closed = False

    def start(self) -> None:
        self._video.add(self._on_video)
        if self._audio is not None:
            self._audio.add(self._on_audio)
        self._video.request_keyframe()

    def stop(self) -> None:
        self.closed = True
        self._video.remove(self._on_video)
        if self._audio is not None:
            self._audio.remove(self._on_audio)
        self._ready.set()

    def send(self, data: bytes) -> None:
        """A data-channel message to the client (the input's PONG), in the same stream."""
        self._offer(frame(KIND_DATA, 0, 0, data))

    async def next(self) -> bytes | None:
        """The next message; None once stopped."""
        while not self._queue:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def _on_video(self, packet: Any) -> None:
        if not self._watching():
            self._paused = self._need_key = True
            return
        if self._paused:  # watching again: from the next keyframe, asked for now
            self._paused = False
            self._video.request_keyframe()
        key = bool(packet.is_keyframe)
        if self._need_key and not key:
            self.dropped += 1
            return
        message = frame(KIND_VIDEO, self._video_codec, _micros(packet, VIDEO_CLOCK), bytes(packet), key)
        if self._offer(message):
            self._need_key = False
            return
        # Too slow: what waits is stale; start again from a keyframe.
        self.dropped += 1 + sum(1 for item in self._queue if item[0] == KIND_VIDEO)
        self._queue = deque(item for item in self._queue if item[0] != KIND_VIDEO)
        self._need_key = True
        self._video.request_keyframe()

    def _on_audio(self, packet: Any) -> None:
        if not self._watching():
            return
        message = frame(KIND_AUDIO, CODECS["opus"], _micros(packet, Fraction(1, 48000)), bytes(packet))
        if not self._offer(message):
            self.dropped += 1

    def _offer(self, message: bytes) -> bool:
        if self.closed or len(self._queue) >= self._limit:
            return False
        self._queue.append(message)
        self._ready.set()
        return True
