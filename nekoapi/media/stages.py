"""The room's media stages: one video stage per ladder id and one audio stage, made on first use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..config import CaptureConfig
from .audio import AudioStage
from .ladder import Ladder, ladder
from .video import VideoStage


class Stages:
    def __init__(
        self, capture: CaptureConfig, display: Callable[[], str | None], pulse: Callable[[], str | None]
    ) -> None:
        self.ladder: Ladder = ladder(capture.video)
        self._capture = capture
        self._display = display
        self._pulse = pulse
        self._video: dict[str, VideoStage] = {}
        self._audio: AudioStage | None = None

    def video(self, rung_id: str) -> VideoStage:
        stage = self._video.get(rung_id)
        if stage is None:
            rung = self.ladder.get(rung_id)
            if rung is None:
                raise KeyError(rung_id)
            stage = VideoStage(rung, self.ladder.codec, self._display, asyncio.get_running_loop())
            self._video[rung_id] = stage
        return stage

    def audio(self) -> AudioStage | None:
        if not self._capture.audio.enabled:
            return None
        if self._audio is None:
            self._audio = AudioStage(self._capture.audio, self._pulse, asyncio.get_running_loop())
        return self._audio

    def running(self) -> dict[str, bool]:
        return {rung_id: stage.running for rung_id, stage in self._video.items()}

    def screen_changed(self) -> None:
        for stage in self._video.values():
            stage.restart()

    def stop(self) -> None:
        for stage in self._video.values():
            stage.stop()
        if self._audio is not None:
            self._audio.stop()
