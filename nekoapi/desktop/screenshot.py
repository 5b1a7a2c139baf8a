"""Screenshots: the root window grabbed with mss (XShm where the server has it), encoded by simplejpeg."""

from __future__ import annotations

import mss
import numpy as np
import simplejpeg

DEFAULT_QUALITY = 90  # Neko's, for a missing or non-integer ?quality


def clamp_quality(quality: int | None) -> int:
    return DEFAULT_QUALITY if quality is None else min(max(quality, 1), 100)


class Grabber:
    """One mss instance on one display; used from a single thread."""

    def __init__(self, display_name: str) -> None:
        self._mss = mss.MSS(display=display_name.encode())

    def pixels(self, width: int, height: int) -> np.ndarray:
        """The top-left ``width`` x ``height`` of the screen as BGRX rows."""
        shot = self._mss.grab({"left": 0, "top": 0, "width": width, "height": height})
        return np.frombuffer(shot.bgra, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def jpeg(self, width: int, height: int, quality: int) -> bytes:
        return simplejpeg.encode_jpeg(self.pixels(width, height), quality=quality, colorspace="BGRX")

    def close(self) -> None:
        self._mss.close()
