"""The tracks a peer sends: packets already encoded by a shared stage, never encoded again.

aiortc's sender packetizes an ``av.Packet`` returned by ``recv()`` as it is. A track
listens to one stage at a time; after a switch (or a pause) it waits for a keyframe, so
the viewer's decoder never sees a frame whose reference it lacks.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .fanout import Fanout

QUEUE_LIMIT = 30  # packets; a viewer further behind skips to the next keyframe


class PacketTrack(MediaStreamTrack):
    def __init__(self, kind: str, track_id: str) -> None:
        super().__init__()
        self.kind = kind
        self._id = track_id  # Neko's track ids: "video", "audio"
        self._queue: deque[av.Packet] = deque()
        self._ready = asyncio.Event()
        self._stage: Fanout | None = None
        self._need_key = kind == "video"
        self.paused = False
        self.sent = 0
        self.on_keyframe: Callable[[], None] | None = None  # (video) a keyframe is handed to the sender

    @property
    def stage(self) -> Fanout | None:
        return self._stage

    def attach(self, stage: Fanout | None) -> None:
        """Listen to ``stage`` (None: send nothing); the old stage loses a listener."""
        if stage is self._stage:
            return
        if self._stage is not None:
            self._stage.remove(self._push)
        self._stage = stage
        self._queue.clear()
        self._need_key = self.kind == "video"
        if stage is not None and self.readyState == "live":
            stage.add(self._push)
            self._ask_keyframe()

    def pause(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        self._queue.clear()
        if not paused:
            self._need_key = self.kind == "video"
            self._ask_keyframe()

    def _ask_keyframe(self) -> None:
        request = getattr(self._stage, "request_keyframe", None)
        if request is not None:
            request()

    def _push(self, packet: av.Packet) -> None:
        if self.paused:
            return
        if self._need_key:
            if not packet.is_keyframe:
                return
            self._need_key = False
        if len(self._queue) >= QUEUE_LIMIT:
            self._queue.clear()
            self._need_key = self.kind == "video"
            self._ask_keyframe()
            return
        self._queue.append(packet)
        self._ready.set()

    async def recv(self) -> av.Packet:  # type: ignore[override]
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        self.sent += 1
        packet = self._queue.popleft()
        if self.on_keyframe is not None and packet.is_keyframe:
            self.on_keyframe()
        return packet

    def stop(self) -> None:
        self.attach(None)
        super().stop()
        self._ready.set()
