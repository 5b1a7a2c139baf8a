"""A real X server for tests: Xorg with the dummy driver (Xvfb where it is missing), one per session."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

from Xlib import display as xdisplay

from nekoapi.desktop.xserver import XServer, XServerError

from .ci import unavailable


@contextlib.contextmanager
def running_x_server(backend: str = "auto") -> Iterator[XServer]:
    """An X server on a free display (``.display`` like ``":57"``, ``.kind`` "xorg" or "xvfb"),
    stopped on exit. Skips (fails under CI=true) when no X server can start here."""
    if shutil.which("Xorg") is None and shutil.which("Xvfb") is None:
        unavailable("no X server installed (make desktop-deps)")
    server = XServer(backend)
    try:
        server.start()
    except (XServerError, OSError) as exc:
        unavailable(f"the X server did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


def screen_size(display: str) -> tuple[int, int]:
    """The X screen's size as another X client sees it."""
    d = xdisplay.Display(display)
    try:
        geometry = d.screen().root.get_geometry()
        return int(geometry.width), int(geometry.height)
    finally:
        d.close()
