"""Key chords through XTest (Ctrl+V for a paste, Ctrl+A in the file chooser).

desktop-core's input layer owns key presses for the host; these are the few
chords the clipboard and uploads need on their own connections.
"""

from __future__ import annotations

import time

from Xlib import XK, X
from Xlib.display import Display
from Xlib.ext import xtest


def chord(display: Display, *names: str) -> None:
    """Presses the keys in order and releases them in reverse (e.g. Control_L, v)."""
    codes = [display.keysym_to_keycode(XK.string_to_keysym(n)) for n in names]
    for code in codes:
        xtest.fake_input(display, X.KeyPress, code)
    for code in reversed(codes):
        xtest.fake_input(display, X.KeyRelease, code)
    display.sync()
    time.sleep(0.1)


def press(display_name: str, *names: str) -> None:
    display = Display(display_name)
    try:
        chord(display, *names)
    finally:
        display.close()
