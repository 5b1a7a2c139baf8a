"""Grabs of a display's root window for the broadcast and the screencast, paced at a frame rate.

mss with XShm costs about 0.4 ms per 1280x720 grab (desktop-media-notes.md). One
``ScreenGrabber`` belongs to one thread: neither mss nor python-xlib connections
may be shared between threads.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import mss
from mss.exception import ScreenShotError
from Xlib import display as xdisplay
from Xlib.error import DisplayError as XError

from .. import errors

log = logging.getLogger(__name__)

# How often the root window's size is read again, to notice a screen switch.
SIZE_CHECK_INTERVAL = 1.0


class Resized(Exception):
    """The screen changed size under a grab; ``size`` has the new one, grab again."""


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    bgra: bytes | bytearray  # width * height * 4 bytes, top row first


class ScreenGrabber:
    """The whole screen of ``display``, cursor included (as Neko's ``show-pointer=true``)."""

    def __init__(self, display: str, *, with_cursor: bool = True) -> None:
        self.display = display
        self._with_cursor = with_cursor
        try:
            self._x = xdisplay.Display(display)
            self._mss = mss.MSS(display=display, with_cursor=with_cursor)
        except (XError, ScreenShotError) as exc:
            log.warning("cannot open display %s: %s", display, exc)
            raise errors.DesktopUnavailable() from None
        self.size = self._root_size()
        self._checked = time.monotonic()

    def grab(self) -> Frame:
        """The screen at ``size``; a grab that fails because the screen just shrank raises ``Resized``."""
        width, height = self.size
        try:
            shot = self._mss.grab({"left": 0, "top": 0, "width": width, "height": height})
        except ScreenShotError:
            if self.resized(now=True):
                raise Resized() from None
            raise
        return Frame(shot.width, shot.height, shot.raw)

    def resized(self, *, now: bool = False) -> bool:
        """Whether the screen has a new size (read at most once a second unless ``now``); ``size`` follows."""
        checked = time.monotonic()
        if not now and checked - self._checked < SIZE_CHECK_INTERVAL:
            return False
        self._checked = checked
        size = self._root_size()
        if size == self.size:
            return False
        self._mss.close()  # mss keeps the old monitor sizes; a new one reads them again
        self._mss = mss.MSS(display=self.display, with_cursor=self._with_cursor)
        self.size = size
        return True

    def close(self) -> None:
        self._mss.close()
        self._x.close()

    def _root_size(self) -> tuple[int, int]:
        geometry = self._x.screen().root.get_geometry()
        return int(geometry.width), int(geometry.height)


class Pacer:
    """Waits until the next frame is due; a late frame moves the schedule rather than bunching up."""

    def __init__(self, fps: float, stop: threading.Event) -> None:
        self.interval = 1.0 / fps
        self._stop = stop
        self._next = time.monotonic()

    def wait(self) -> bool:
        """False once ``stop`` is set (at once, not at the next frame)."""
        self._next += self.interval
        delay = self._next - time.monotonic()
        if delay <= 0:
            self._next = time.monotonic()
            return not self._stop.is_set()
        return not self._stop.wait(delay)


def take(flag: threading.Event) -> bool:
    """Whether ``flag`` was set, clearing it."""
    was = flag.is_set()
    flag.clear()
    return was
