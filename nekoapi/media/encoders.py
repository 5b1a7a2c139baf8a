"""The video encoders of a rung, behind one interface: ``encode(picture, pts, key)`` and ``set_bitrate``.

VP8 and VP9 run in libvpx directly (vpx.py): their bitrate moves in place. H264 (libx264) and AV1
(SVT-AV1) run through PyAV, whose FFmpeg wrappers read rate settings only at open: a new bitrate
re-opens them, which starts a keyframe, so that happens only for a change above ``REOPEN_STEP``, at
most every ``REOPEN_INTERVAL``.
Every encoder counts its ``reopens`` and ``keyframes``, which the bench and the tests read.
"""

from __future__ import annotations

import os
import time
from fractions import Fraction
from typing import Protocol

import av

from .vpx import CLOCK, EncodedFrame, Tuning, VpxEncoder
from .yuv import I420

VIDEO_CODECS = ("vp8", "vp9", "av1", "h264")
REOPEN_STEP = 0.10  # a PyAV-driven encoder follows bitrate changes above 10 % only,
REOPEN_INTERVAL = 2.0  # and at most every 2 s: a receiver's estimate that ramps up is no keyframe storm


class VideoEncoder(Protocol):
    width: int
    height: int
    bitrate: int
    reopens: int

    def set_bitrate(self, bitrate: int) -> None: ...

    def encode(self, picture: I420, pts: int, key: bool) -> list[EncodedFrame] | list[av.Packet]: ...

    def close(self) -> None: ...


class LibvpxEncoder:
    """VP8 or VP9: the picture is read where it is, the bitrate retuned without a keyframe."""

    def __init__(self, codec: str, width: int, height: int, fps: int, bitrate: int, tuning: Tuning) -> None:
        self.width, self.height = width, height
        self._vpx = VpxEncoder(codec, width, height, fps, bitrate, tuning)
        self.reopens = 0

    @property
    def bitrate(self) -> int:
        return self._vpx.bitrate

    def set_bitrate(self, bitrate: int) -> None:
        self._vpx.set_bitrate(bitrate)

    def encode(self, picture: I420, pts: int, key: bool) -> list[EncodedFrame]:
        return self._vpx.encode(picture.pointers(), picture.strides, pts, key)

    def close(self) -> None:
        self._vpx.close()


class PyAVEncoder:
    """libx264 (baseline, Annex B, constant bitrate) or SVT-AV1 (low delay, constant bitrate)."""

    def __init__(self, codec: str, width: int, height: int, fps: int, bitrate: int) -> None:
        self.codec, self.width, self.height, self.fps = codec, width, height, fps
        self.bitrate = bitrate
        self.reopens = 0
        self._count = 0
        self.context = self._open(bitrate)
        self._opened_at = time.monotonic()

    def _open(self, bitrate: int) -> av.VideoCodecContext:
        name = "libx264" if self.codec == "h264" else "libsvtav1"
        context = av.CodecContext.create(name, "w")
        context.width, context.height = self.width, self.height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, self.fps)
        context.framerate = Fraction(self.fps, 1)
        context.bit_rate = bitrate
        context.gop_size = self.fps * 1000  # keyframes when asked for, not on a clock
        context.thread_count = 1  # on two shared cores, more threads cost more than they gain
        if name == "libx264":
            context.profile = "Constrained Baseline"
            # x264 ignores bufsize without maxrate: both, so the rate is the constant one asked for.
            window = bitrate // 2  # half a second of video: a frame that overshoots leaves within it
            options = {"preset": "veryfast", "tune": "zerolatency", "maxrate": str(bitrate), "bufsize": str(window)}
        else:
            # SVT-AV1's fastest preset, constant bitrate (rc=2), low-delay prediction, no look-ahead.
            options = {"preset": "12", "svtav1-params": "rc=2:pred-struct=1:lookahead=0"}
            os.environ.setdefault("SVT_LOG", "2")  # warnings and errors: not its configuration at every open
        context.options = options
        context.open()
        return context

    def set_bitrate(self, bitrate: int) -> None:
        if abs(bitrate - self.bitrate) <= self.bitrate * REOPEN_STEP:
            return
        if time.monotonic() - self._opened_at < REOPEN_INTERVAL:
            return  # asked again at a later frame
        self.bitrate = bitrate
        self.context = self._open(bitrate)
        self._opened_at = time.monotonic()
        self.reopens += 1

    def encode(self, picture: I420, pts: int, key: bool) -> list[av.Packet]:
        frame = picture.to_frame()
        frame.pts = self._count
        self._count += 1
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        packets = self.context.encode(frame)
        for packet in packets:
            packet.pts = pts
            packet.time_base = CLOCK
        return packets

    def close(self) -> None:
        return None


def open_encoder(
    codec: str, width: int, height: int, fps: int, bitrate: int, tuning: Tuning | None = None
) -> LibvpxEncoder | PyAVEncoder:
    if codec in ("vp8", "vp9"):
        return LibvpxEncoder(codec, width, height, fps, bitrate, tuning or Tuning())
    return PyAVEncoder(codec, width, height, fps, bitrate)
