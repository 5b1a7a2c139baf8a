"""The room's media stages: one video stage per ladder id and one audio stage, made on first use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from ..config import CaptureConfig, Ladder
from .audio import AudioStage
from .video import VideoStage

LEGACY_ID = "legacy"  # Neko's id for the stage with the pointer drawn in, for its v2 clients


class Stages:
    def __init__(
        self,
        capture: CaptureConfig,
        display: Callable[[], str | None],
        pulse: Callable[[], str | None],
        legacy: bool = False,
    ) -> None:
        self.ladder: Ladder = capture.video.ladder
        # Neko's legacy layer adds LEGACY_ID: the first rung with the pointer, kept out of ``ladder.ids``.
        self.legacy = legacy
        self._capture = capture
        self._display = display
        self._pulse = pulse
        self._video: dict[str, VideoStage] = {}
        self._audio: AudioStage | None = None

    def video(self, rung_id: str) -> VideoStage:
        stage = self._video.get(rung_id)
        if stage is None:
            pointer = self.legacy and rung_id == LEGACY_ID
            rung = replace(self.ladder.rungs[0], id=LEGACY_ID) if pointer else self.ladder.get(rung_id)
            if rung is None:
                raise KeyError(rung_id)
            loop = asyncio.get_running_loop()
            stage = VideoStage(rung, self.ladder.codec, self._display, loop, draw_pointer=pointer)
            self._video[rung_id] = stage
        return stage

    @property
    def audio_codec(self) -> str:
        return self._capture.audio.codec

    @property
    def low_latency(self) -> bool:
        return self._capture.video.low_latency

    def audio(self) -> AudioStage | None:
        if not self._capture.audio.enabled:
            return None
        if self._audio is None:
            self._audio = AudioStage(self._capture.audio, self._pulse, asyncio.get_running_loop())
        return self._audio

    @property
    def videos(self) -> dict[str, VideoStage]:
        """The video stages made so far, by rung id."""
        return dict(self._video)

    def running(self) -> dict[str, bool]:
        return {rung_id: stage.running for rung_id, stage in self._video.items()}

    def screen_changed(self) -> None:
        for stage in self._video.values():
            stage.screen_changed()

    def failing(self, grace: float) -> str | None:
        """The first stage someone listens to that has produced nothing for ``grace`` s of failures."""
        stages: list[VideoStage | AudioStage] = list(self._video.values())
        if self._audio is not None:
            stages.append(self._audio)
        for stage in stages:
            problem = stage.failing(grace)
            if problem is not None:
                what = "audio capture" if isinstance(stage, AudioStage) else f"video capture {stage.rung.id}"
                return f"{what} is failing: {problem}"
        return None

    def stop(self) -> None:
        for stage in self._video.values():
            stage.stop()
        if self._audio is not None:
            self._audio.stop()
