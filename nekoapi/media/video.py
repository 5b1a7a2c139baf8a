"""One video rung: the screen grabbed with XShm (mss) at the rung's fps, encoded once (PyAV).

Everything here runs in the stage's own thread; the event loop only receives packets.
Packets carry a 90 kHz timestamp from one monotonic clock, so a viewer switching rungs
sees time go on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import av
import mss
import numpy as np

from .fanout import Fanout
from .ladder import Rung

log = logging.getLogger(__name__)

CLOCK = Fraction(1, 90000)
KEYFRAME_INTERVAL = 2.0  # seconds: a lost keyframe heals without a PLI even so


class VideoStage(Fanout):
    def __init__(
        self, rung: Rung, codec: str, display: Callable[[], str | None], loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(f"video-{rung.id}", loop)
        self.rung = rung
        self.codec = codec
        self._display = display
        self._keyframe = threading.Event()
        self.bitrate = rung.bitrate * 1000  # bit/s, moved by receivers' feedback
        self.frames = 0

    def request_keyframe(self) -> None:
        self._keyframe.set()

    def feedback(self, bitrate: int) -> None:
        """A receiver's estimate (REMB), kept within the rung's bounds."""
        self.bitrate = max(self.rung.min_bitrate * 1000, min(bitrate, self.rung.max_bitrate * 1000))

    def produce(self, stop: threading.Event, emit: Callable[[av.Packet], None]) -> None:
        display = self._display()
        if display is None:
            log.warning("video %s: no display to capture", self.rung.id)
            return
        with mss.MSS(display=display, backend="xshmgetimage") as grabber:
            self._loop_frames(grabber, stop, emit)

    def _loop_frames(self, grabber: mss.base.MSSBase, stop: threading.Event, emit: Callable[[av.Packet], None]) -> None:
        monitor = grabber.monitors[0]
        width, height = self.rung.size(monitor["width"], monitor["height"])
        encoder = _Encoder(self.codec, width, height, self.rung.fps, self.bitrate)
        period = 1.0 / self.rung.fps
        deadline = time.monotonic()
        last_key = 0.0
        while not stop.is_set():
            shot = grabber.grab(monitor)
            now = time.monotonic()
            key = self._keyframe.is_set() or now - last_key > KEYFRAME_INTERVAL
            if key:
                self._keyframe.clear()
                last_key = now
            encoder.set_bitrate(self.bitrate)
            for packet in encoder.encode(shot.raw, shot.width, shot.height, now, key):
                emit(packet)
            self.frames += 1
            deadline += period
            delay = deadline - time.monotonic()
            if delay < -period:  # too far behind (a busy machine): start counting again from now
                deadline, delay = time.monotonic(), 0.0
            if delay > 0:
                stop.wait(delay)


class _Encoder:
    """libvpx (VP8) or libx264 (H264, baseline, Annex B) tuned for real time."""

    def __init__(self, codec: str, width: int, height: int, fps: int, bitrate: int) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.name = "libvpx" if codec == "vp8" else "libx264"
        self.bitrate = bitrate
        self.context = self._open(bitrate)
        self.count = 0

    def _open(self, bitrate: int) -> av.VideoCodecContext:
        context = av.CodecContext.create(self.name, "w")
        context.width, context.height = self.width, self.height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, self.fps)
        context.framerate = Fraction(self.fps, 1)
        context.bit_rate = bitrate
        context.gop_size = self.fps * 10
        context.thread_count = 1  # on two shared cores, more threads made libvpx several times slower
        if self.name == "libvpx":
            context.options = {
                "deadline": "realtime",
                "cpu-used": "8",
                "lag-in-frames": "0",
                "static-thresh": "100",
                "error-resilient": "1",
                "qmin": "4",
                "qmax": "48",
                "maxrate": str(bitrate),
                "minrate": str(bitrate // 4),
                "bufsize": str(bitrate),
            }
        else:
            context.profile = "Constrained Baseline"
            context.options = {"preset": "veryfast", "tune": "zerolatency", "bufsize": str(bitrate)}
        context.open()
        return context

    def set_bitrate(self, bitrate: int) -> None:
        # Re-opened only on a change above 10 %: each re-open costs a keyframe.
        if abs(bitrate - self.bitrate) > self.bitrate // 10:
            self.bitrate = bitrate
            self.context = self._open(bitrate)

    def encode(self, bgra: bytes | bytearray, width: int, height: int, now: float, key: bool) -> list[av.Packet]:
        frame = av.VideoFrame(width, height, "bgra")
        plane = frame.planes[0]
        if plane.line_size == width * 4:
            plane.update(bgra)  # one copy into FFmpeg's buffer, none through numpy
        else:
            frame = av.VideoFrame.from_ndarray(np.frombuffer(bgra, np.uint8).reshape(height, width, 4), format="bgra")
        frame = frame.reformat(self.width, self.height, "yuv420p")
        frame.pts = self.count
        self.count += 1
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        packets = self.context.encode(frame)
        for packet in packets:
            packet.pts = int(now * 90000)
            packet.time_base = CLOCK
        return packets
