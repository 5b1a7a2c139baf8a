"""The room's audio: PulseAudio's monitor read with ``parec``, encoded to Opus once (PyAV).

The PyAV wheel has no ``pulse`` input, so raw 48 kHz stereo s16 comes through a pipe; the
thread reads 20 ms at a time and hands Opus packets to the loop.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np

from ..config import AudioCaptureConfig
from .fanout import Fanout

log = logging.getLogger(__name__)
RATE = 48000
FRAME = 960  # samples per 20 ms
CHUNK = FRAME * 2 * 2  # stereo s16


class AudioStage(Fanout):
    def __init__(
        self, config: AudioCaptureConfig, pulse: Callable[[], str | None], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__("audio", loop)
        self._config = config
        self._pulse = pulse

    def request_keyframe(self) -> None:
        return None  # every Opus packet stands alone

    def produce(self, stop: threading.Event, emit: Callable[[av.Packet], None]) -> None:
        server = self._pulse()
        if server is None:
            log.warning("audio: no PulseAudio server")
            return
        command = [
            "parec",
            f"--server={server}",
            f"--device={self._config.device}",
            "--format=s16le",
            f"--rate={RATE}",
            "--channels=2",
            "--latency-msec=20",
            "--raw",
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            self._encode(process, stop, emit)
        finally:
            process.kill()
            process.wait()

    def _encode(
        self, process: subprocess.Popen[bytes], stop: threading.Event, emit: Callable[[av.Packet], None]
    ) -> None:
        encoder = av.CodecContext.create("libopus", "w")
        encoder.sample_rate, encoder.layout, encoder.format = RATE, "stereo", "s16"
        encoder.bit_rate = self._config.bitrate * 1000
        encoder.time_base = Fraction(1, RATE)
        base = int(time.monotonic() * RATE)
        samples = 0
        assert process.stdout is not None
        while not stop.is_set():
            data = process.stdout.read(CHUNK)
            if len(data) < CHUNK:
                log.warning("audio: parec ended")
                return
            frame = av.AudioFrame.from_ndarray(
                np.frombuffer(data, np.int16).reshape(1, -1), format="s16", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, samples, Fraction(1, RATE)
            samples += FRAME
            for packet in encoder.encode(frame):
                packet.pts = base + (packet.pts or 0)
                packet.time_base = Fraction(1, RATE)
                emit(packet)
