"""The room's audio: PulseAudio's monitor read with ``parec``, encoded once (PyAV).

The PyAV wheel has no ``pulse`` input, so raw s16 comes through a pipe, at the codec's own rate
and channels (PulseAudio resamples); the thread reads 20 ms at a time and hands packets to the
loop. ``capture.audio.codec``: Opus (48 kHz stereo, the default), or Neko's others: G.722 (16 kHz
mono, an 8 kHz RTP clock), PCMU and PCMA (G.711, 8 kHz mono).
When ``parec`` ends (PulseAudio died and is being restarted), it is started again with back-off
while anyone listens.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from ..config import AudioCaptureConfig
from .fanout import Fanout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioCodec:
    encoder: str  # FFmpeg's
    rate: int
    channels: int

    @property
    def frame(self) -> int:
        return self.rate // 50  # samples per 20 ms

    @property
    def chunk(self) -> int:
        return self.frame * self.channels * 2  # s16


AUDIO_CODECS = {
    "opus": AudioCodec("libopus", 48000, 2),
    "g722": AudioCodec("g722", 16000, 1),
    "pcmu": AudioCodec("pcm_mulaw", 8000, 1),
    "pcma": AudioCodec("pcm_alaw", 8000, 1),
}
RETRY_DELAY, MAX_RETRY_DELAY = 0.25, 5.0
STEADY_AFTER = 10.0  # a parec that ran this long starts the back-off over
RESYNC_GAP = 0.25  # s without sound from parec after which the sample count is set by the clock again


class AudioStage(Fanout):
    def __init__(
        self, config: AudioCaptureConfig, pulse: Callable[[], str | None], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__("audio", loop)
        self._config = config
        self._pulse = pulse
        self.codec = AUDIO_CODECS[config.codec]

    def request_keyframe(self) -> None:
        return None  # every Opus packet stands alone

    def produce(self, stop: threading.Event, emit: Callable[[av.Packet], None]) -> None:
        delay = RETRY_DELAY
        while not stop.is_set():
            started = time.monotonic()
            server = self._pulse()
            if server is None:
                level = logging.WARNING if delay == RETRY_DELAY else logging.DEBUG  # once, not every try
                log.log(level, "audio: no PulseAudio server; trying again in %.2f s", delay)
            else:
                self._capture(server, stop, emit)
            if time.monotonic() - started >= STEADY_AFTER:
                delay = RETRY_DELAY
            if stop.wait(delay):
                return
            delay = min(delay * 2, MAX_RETRY_DELAY)

    def _capture(self, server: str, stop: threading.Event, emit: Callable[[av.Packet], None]) -> None:
        command = [
            "parec",
            f"--server={server}",
            f"--device={self._config.device}",
            "--format=s16le",
            f"--rate={self.codec.rate}",
            f"--channels={self.codec.channels}",
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
        codec = self.codec
        layout = "stereo" if codec.channels == 2 else "mono"
        clock = Fraction(1, codec.rate)
        encoder = av.CodecContext.create(codec.encoder, "w")
        encoder.sample_rate, encoder.layout, encoder.format = codec.rate, layout, "s16"
        if codec.encoder == "libopus":
            encoder.bit_rate = self._config.bitrate * 1000  # G.711 and G.722 have fixed rates
        encoder.time_base = clock
        base: int | None = None
        samples = 0
        last_arrival = 0.0
        assert process.stdout is not None
        while not stop.is_set():
            data = process.stdout.read(codec.chunk)
            if len(data) < codec.chunk:
                log.warning("audio: parec ended")
                return
            # Packets carry the video's monotonic time, so a recording lines sound and pictures up. Counting
            # samples keeps that time smooth, but PulseAudio sends nothing while nothing plays (at the start,
            # and after a silence): after such a gap the count has fallen behind the clock and is moved up.
            arrived = time.monotonic()
            began = int(arrived * codec.rate) - codec.frame  # when this chunk's first sample was heard
            if base is None:
                base = began
            elif arrived - last_arrival > RESYNC_GAP and began > base + samples:
                samples = began - base
            last_arrival = arrived
            samples_in = np.frombuffer(data, np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples_in, format="s16", layout=layout)
            frame.sample_rate, frame.pts, frame.time_base = codec.rate, samples, clock
            samples += codec.frame
            for packet in encoder.encode(frame):
                packet.pts = base + (packet.pts or 0)
                packet.time_base = clock
                emit(packet)
