"""BGRX screen grabs to I420 pictures, once per frame, into buffers that are reused.

libyuv (Debian's ``libyuv0``, reached with ctypes) converts a 1280x720 grab in 0.15-0.5 ms and
scales with a box filter; FFmpeg's swscale took 2.2-2.8 ms for the conversion alone, whatever its
interpolation flag (measured here; docs/benchmarks.md). swscale through PyAV stays as the fallback
for a machine without libyuv. Colours are BT.601, limited range, as WebRTC decoders expect.
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass, field

import av
import numpy as np

log = logging.getLogger(__name__)
_BOX = 3  # libyuv's kFilterBox: the best downscale it has


def _load_libyuv() -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL("libyuv.so.0")
    except OSError:
        log.warning("libyuv is not installed (Debian: libyuv0); converting frames with swscale, 15x slower")
        return None
    pointer, size = ctypes.c_void_p, ctypes.c_int
    lib.ARGBToI420.argtypes = [pointer, size, pointer, size, pointer, size, pointer, size, size, size]
    lib.I420Scale.argtypes = [pointer, size] * 3 + [size, size] + [pointer, size] * 3 + [size, size, size]
    return lib


_LIBYUV = _load_libyuv()


@dataclass
class I420:
    """A picture in three planes, allocated once and written again for every frame."""

    width: int
    height: int
    data: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        chroma = ((self.width + 1) // 2) * ((self.height + 1) // 2)
        self.data = np.empty(self.width * self.height + 2 * chroma, np.uint8)

    @property
    def strides(self) -> tuple[int, int, int]:
        half = (self.width + 1) // 2
        return self.width, half, half

    @property
    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        luma = self.width * self.height
        chroma = ((self.width + 1) // 2) * ((self.height + 1) // 2)
        data = self.data
        return data[:luma], data[luma : luma + chroma], data[luma + chroma :]

    def pointers(self) -> tuple[int, int, int]:
        base = self.data.ctypes.data
        luma = self.width * self.height
        chroma = ((self.width + 1) // 2) * ((self.height + 1) // 2)
        return base, base + luma, base + luma + chroma

    def to_frame(self) -> av.VideoFrame:
        """As a PyAV frame (a copy), for the encoders PyAV drives."""
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, data, stride in zip(frame.planes, self.planes, self.strides, strict=True):
            rows = len(data) // stride
            if plane.line_size == stride:
                plane.update(data)
            else:
                view = np.frombuffer(plane, np.uint8).reshape(rows, plane.line_size)
                view[:, :stride] = data.reshape(rows, stride)
        return frame


class Converter:
    """BGRX of any size to an I420 of a given size (scaled when they differ)."""

    def __init__(self) -> None:
        self._full: I420 | None = None  # the screen-sized picture a scaled rung is made from

    @property
    def fast(self) -> bool:
        return _LIBYUV is not None

    def convert(self, bgrx: np.ndarray, out: I420) -> None:
        height, width = bgrx.shape[:2]
        stride = bgrx.strides[0]
        if _LIBYUV is None:
            self._swscale(bgrx, out)
            return
        # An odd-sized screen gives an even-sized rung (yuv420p): the last row or column is left out.
        if (out.width, out.height) == (width & ~1, height & ~1):
            _argb_to_i420(bgrx.ctypes.data, stride, out, out.width, out.height)
            return
        full_size = (width & ~1, height & ~1)
        if self._full is None or (self._full.width, self._full.height) != full_size:
            self._full = I420(*full_size)
        _argb_to_i420(bgrx.ctypes.data, stride, self._full, *full_size)
        src, dst = self._full, out
        _LIBYUV.I420Scale(*_interleave(src), src.width, src.height, *_interleave(dst), dst.width, dst.height, _BOX)

    @staticmethod
    def _swscale(bgrx: np.ndarray, out: I420) -> None:
        frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(bgrx), format="bgra")
        frame = frame.reformat(out.width, out.height, "yuv420p")
        for plane, data, stride in zip(frame.planes, out.planes, out.strides, strict=True):
            rows = len(data) // stride
            view = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :stride]
            data.reshape(rows, stride)[:] = view


def _argb_to_i420(source: int, stride: int, out: I420, width: int, height: int) -> None:
    assert _LIBYUV is not None
    _LIBYUV.ARGBToI420(source, stride, *_interleave(out), width, height)


def _interleave(picture: I420) -> list[int]:
    pointers, strides = picture.pointers(), picture.strides
    return [value for pair in zip(pointers, strides, strict=True) for value in pair]
