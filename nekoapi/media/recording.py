"""The room's recording: the packets the viewers get, muxed into files, never encoded a second time.

The recording listens to the best rung's video stage and to the audio stage as a viewer's tracks do, so
a room nobody watches keeps its stages running while it records, and a recording adds no encoder. The
writer (recording_mux.py) runs in its own thread behind a bounded queue; a full queue drops packets until
the next keyframe, which is asked for at once. Every session is told ``recording/status`` when a
recording starts, stops or fails (a full disk, say), and gets it on connecting while one runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from .. import errors
from ..config import RecordingConfig
from ..configkeys.capture import RECORDING_CONTAINERS
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import DisplaySource, RoomPart
from .recording_files import RecordingDirectory, RecordingFile, base_name, segment_name
from .recording_mux import VIDEO_CLOCK, Item, Writer, vp8_size
from .stages import Stages

log = logging.getLogger(__name__)

RECORDING_STATUS = "recording/status"


class RecordingManager(RoomPart):
    def __init__(
        self, config: RecordingConfig, stages: Stages, sessions: SessionManager, display: DisplaySource
    ) -> None:
        self.config = config
        self.directory = RecordingDirectory(config.dir, config.max_bytes, config.max_age)
        self._stages = stages
        self._sessions = sessions
        self._display = display
        self._writer: Writer | None = None
        self._audio: Any = None  # the audio stage listened to, if any
        self._lock = asyncio.Lock()
        self._need_key = True
        self._name: str | None = None
        self._started: float | None = None
        self._last: dict[str, Any] = {"bytes": 0, "duration": 0.0}
        self._error: str | None = None

    @property
    def is_recording(self) -> bool:
        return self._writer is not None

    def status(self) -> dict[str, Any]:
        writer = self._writer
        body: dict[str, Any] = {"recording": writer is not None}
        if self._name is not None and self._started is not None:
            body |= {"name": self._name, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._started))}
        if writer is not None:
            body |= {"bytes": writer.bytes, "duration": round(writer.duration, 3)}
        else:
            body |= self._last
        if self._error is not None:
            body["error"] = self._error
        return body

    async def start(self) -> None:
        async with self._lock:
            if self._writer is not None:
                raise errors.RecordingActive()
            if self._display() is None:
                raise errors.DesktopUnavailable()
            codec = self._stages.ladder.codec
            container = RECORDING_CONTAINERS.get(codec)  # the configuration refuses another one
            if container is None:
                raise errors.RecordingFailed(f"recording could not start: {codec} video is not recorded")
            await asyncio.to_thread(self._prepare)
            self._begin(container, codec)
        log.info("recording started: %s", self._name)
        self._tell_everyone()

    async def stop(self) -> None:
        async with self._lock:
            writer = self._writer
            if writer is None:
                raise errors.RecordingInactive()
            self._detach(writer)
            await asyncio.to_thread(writer.finish)
            self._last = {"bytes": writer.bytes, "duration": round(writer.duration, 3)}
            self._error = writer.error  # the file's end did not fit on the disk, say
            await asyncio.to_thread(self.directory.prune)
        log.info("recording stopped: %s", self._name)
        self._tell_everyone()

    async def listing(self) -> list[RecordingFile]:
        return await asyncio.to_thread(self.directory.listing)

    async def file(self, name: str) -> Path:
        return await asyncio.to_thread(self.directory.file, name)

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self.directory.delete, name)

    def greet(self, session: Session) -> None:
        if self._writer is not None:
            session.send(RECORDING_STATUS, self.status())

    async def startup(self) -> None:
        if not self.config.autostart:
            return
        try:
            await self.start()
        except errors.NekoError as exc:
            log.error("recording autostart failed: %s", exc.text)

    async def shutdown(self) -> None:
        if self._writer is not None:
            await self.stop()

    def _prepare(self) -> None:
        self.directory.make()
        self.directory.prune()

    def _begin(self, container: str, codec: str) -> None:
        loop = asyncio.get_running_loop()
        now = time.time()
        base = base_name(now, container)
        audio = self._stages.audio() if self._stages.audio_codec == "opus" else None
        writer: Writer

        def ended(error: str | None) -> None:  # from the writer's thread
            loop.call_soon_threadsafe(self._ended, writer, error)

        def segment(path: Path) -> None:
            loop.call_soon_threadsafe(self._segment_started, writer, path.name)

        writer = Writer(
            lambda n: self.directory.path / segment_name(base, n), container, codec, audio is not None, segment, ended
        )
        self._writer, self._name, self._started, self._error = writer, base, now, None
        self._need_key = True
        writer.start()
        video = self._video_stage()
        video.add(self._on_video)
        self._audio = audio
        if audio is not None:
            audio.add(self._on_audio)
        video.request_keyframe()

    def _video_stage(self) -> Any:
        return self._stages.video(self._stages.ladder.ids[0])

    def _on_video(self, packet: Any) -> None:
        writer = self._writer
        if writer is None:
            return
        key = bool(packet.is_keyframe)
        if self._need_key and not key:
            return
        size = None
        if key:
            stage = self._video_stage()
            size = vp8_size(bytes(packet)[:10]) if stage.codec == "vp8" else _encoder_size(stage)
        if writer.offer(Item("video", packet, packet.pts, VIDEO_CLOCK, key, size)):
            self._need_key = False
        else:
            self._need_key = True
            self._video_stage().request_keyframe()

    def _on_audio(self, packet: Any) -> None:
        writer = self._writer
        if writer is not None and not self._need_key:
            writer.offer(Item("audio", packet, packet.pts, packet.time_base, True))

    def _detach(self, writer: Writer) -> None:
        self._writer = None
        self._last = {"bytes": writer.bytes, "duration": round(writer.duration, 3)}
        self._video_stage().remove(self._on_video)
        audio, self._audio = self._audio, None
        if audio is not None:
            audio.remove(self._on_audio)

    def _segment_started(self, writer: Writer, name: str) -> None:
        if self._writer is writer and name != self._name:
            self._name = name
            log.info("recording goes on in a new segment: %s", name)
            self._tell_everyone()

    def _ended(self, writer: Writer, error: str | None) -> None:
        if self._writer is not writer or error is None:
            return  # stopped on purpose: stop() reports it
        self._detach(writer)
        self._error = error
        self._tell_everyone()

    def _tell_everyone(self) -> None:
        status = self.status()
        for session in self._sessions.connected():
            session.send(RECORDING_STATUS, status)


def _encoder_size(stage: Any) -> tuple[int, int] | None:
    encoder = stage.encoder
    return (encoder.width, encoder.height) if encoder is not None else None
