"""The pointer drawn into grabbed frames, for clients that draw none of their own.

Neko's v3 clients draw the cursor themselves from CURSOR_IMAGE and CURSOR_POSITION. Its v2 UI has
no cursor, so Neko keeps a ``legacy`` pipeline, its main one with the pointer shown, which is not
among the ids clients pick from (as Neko's ``server/internal/config/capture.go`` builds it). Ours
reads XFixes' cursor image and position in one request per frame interval, on a connection of its
own, and blends the image into the grab (XFixes gives premultiplied ARGB words, BGRA in memory, as
the grab's BGRX).
"""

from __future__ import annotations

import numpy as np
import xcffib
import xcffib.xfixes

Image = np.ndarray


class PointerOverlay:
    def __init__(self, display: str) -> None:
        self._conn = xcffib.connect(display)
        self._xfixes = self._conn(xcffib.xfixes.key)
        self._xfixes.QueryVersion(4, 0).reply()
        self._serial = -1
        self._image: Image = np.zeros((0, 0, 4), np.uint8)
        self._at = (0, 0)  # the image's top left on the screen
        self._drawn: tuple[tuple[int, int], int] | None = None

    def moved(self) -> bool:
        """Reads the pointer now; whether it moved or changed its shape since it was last drawn."""
        reply = self._xfixes.GetCursorImage().reply()
        if reply.cursor_serial != self._serial:
            self._serial = reply.cursor_serial
            words = np.array(reply.cursor_image, dtype="<u4")
            self._image = words.view(np.uint8).reshape(reply.height, reply.width, 4)
        self._at = (reply.x - reply.xhot, reply.y - reply.yhot)
        return self._drawn != (self._at, self._serial)

    def draw(self, frame: Image) -> None:
        """Blends the pointer into ``frame`` (height, width, 4 BGRX), clipped to it."""
        self._drawn = (self._at, self._serial)
        blend(frame, self._image, *self._at)

    def close(self) -> None:
        self._conn.disconnect()


def blend(frame: Image, image: Image, x: int, y: int) -> None:
    """``image`` (premultiplied BGRA) over ``frame`` at (x, y), in place."""
    height, width = image.shape[:2]
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + width, frame.shape[1]), min(y + height, frame.shape[0])
    if left >= right or top >= bottom:
        return
    source = image[top - y : bottom - y, left - x : right - x]
    target = frame[top:bottom, left:right, :3]
    alpha = source[..., 3:4].astype(np.uint16)
    mixed = (target.astype(np.uint16) * (255 - alpha) + 127) // 255 + source[..., :3]
    target[:] = np.minimum(mixed, 255).astype(np.uint8)
