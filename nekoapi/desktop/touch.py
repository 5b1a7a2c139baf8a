"""Neko's touches on an X server without a touch device, emulated as the pointer through XTest.

The first finger down drives the pointer: its begin moves there and holds button 1, its updates
move, its end releases. Other fingers are ignored until it lifts (gestures are the client's work).
"""

from __future__ import annotations

from Xlib.display import Display

from .input import Input

PRIMARY_BUTTON = 1


class TouchPointer:
    """One display's emulated touch; every method runs in that display's X thread."""

    def __init__(self, input: Input) -> None:
        self._input = input
        self.finger: int | None = None

    def begin(self, d: Display, touch_id: int, x: int, y: int) -> bool:
        # A finger whose button was let go of (host change, held too long) no longer drives the pointer.
        if self.finger is not None and PRIMARY_BUTTON in self._input.buttons:
            return False
        self.finger = touch_id
        self._input.move(d, x, y)
        return self._input.button_down(d, PRIMARY_BUTTON)

    def update(self, d: Display, touch_id: int, x: int, y: int) -> bool:
        if touch_id != self.finger:
            return False
        self._input.move(d, x, y)
        return True

    def end(self, d: Display, touch_id: int, x: int, y: int) -> bool:
        if touch_id != self.finger:
            return False
        self.finger = None
        self._input.move(d, x, y)
        return self._input.button_up(d, PRIMARY_BUTTON)
