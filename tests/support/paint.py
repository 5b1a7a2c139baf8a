"""A test X client that fills the whole screen with one colour, to find it again in captured frames."""

from __future__ import annotations

from Xlib import X
from Xlib import display as xdisplay

Colour = tuple[int, int, int]


class Painter:
    """An override-redirect window over the whole screen (no window manager moves it)."""

    def __init__(self, display: str) -> None:
        self._x = xdisplay.Display(display)
        screen = self._x.screen()
        self._root = screen.root
        geometry = self._root.get_geometry()
        self._window = self._root.create_window(
            0, 0, geometry.width, geometry.height, 0, screen.root_depth,
            X.InputOutput, X.CopyFromParent, background_pixel=0, override_redirect=True,
        )  # fmt: skip
        self._window.map()
        self._x.sync()

    def fill(self, colour: Colour) -> None:
        red, green, blue = colour
        self._window.change_attributes(background_pixel=(red << 16) | (green << 8) | blue)
        self._window.clear_area(0, 0, 0, 0)  # 0 x 0 = the whole window
        self._x.sync()

    def cover_screen(self) -> None:
        """After a screen switch: the window grows (or shrinks) to the new size."""
        geometry = self._root.get_geometry()
        self._window.configure(x=0, y=0, width=geometry.width, height=geometry.height)
        self._window.clear_area(0, 0, 0, 0)
        self._x.sync()

    def close(self) -> None:
        self._window.destroy()
        self._x.close()


def close_to(actual: Colour, expected: Colour, tolerance: int = 16) -> bool:
    """Lossy codecs (JPEG, H.264 in yuv420p) move colours a little."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))
