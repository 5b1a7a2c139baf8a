"""Pointer and keyboard input through XTest, with Neko's bookkeeping of what is held down.

A down on something already held, or an up for something not held, is refused ("debounced"); the
manager releases whatever stays held too long. A keysym with no key in the keymap gets the highest
free keycode rebound to it, as Neko does, and its key-up reuses that keycode.
"""

from __future__ import annotations

import time

from Xlib import X
from Xlib.display import Display
from Xlib.ext import xtest

CONTROL_L = 0xFFE3
SHIFTS = {0xFFE1, 0xFFE2}  # Shift_L, Shift_R
SCROLL_UP, SCROLL_DOWN, SCROLL_LEFT, SCROLL_RIGHT = 4, 5, 6, 7


class Input:
    """Held keys and buttons of one display; every method runs in that display's X thread."""

    def __init__(self) -> None:
        self.keys: dict[int, tuple[int, float]] = {}  # keysym -> (keycode, pressed at)
        self.buttons: dict[int, float] = {}
        self._rebound: dict[int, int] = {}  # keysym -> spare keycode we gave it

    def move(self, d: Display, x: int, y: int) -> None:
        xtest.fake_input(d, X.MotionNotify, x=x, y=y)
        d.sync()  # one round trip: when this returns, every X client sees the pointer there

    def button_down(self, d: Display, code: int) -> bool:
        if code in self.buttons:
            return False
        self.buttons[code] = time.monotonic()
        xtest.fake_input(d, X.ButtonPress, code)
        d.flush()
        return True

    def button_up(self, d: Display, code: int) -> bool:
        if self.buttons.pop(code, None) is None:
            return False
        xtest.fake_input(d, X.ButtonRelease, code)
        d.flush()
        return True

    def key_down(self, d: Display, keysym: int) -> bool:
        if keysym in self.keys:
            return False
        keycode = self._keycode(d, keysym)
        if not keycode:
            return False
        self.keys[keysym] = (keycode, time.monotonic())
        xtest.fake_input(d, X.KeyPress, keycode)
        d.flush()
        return True

    def key_up(self, d: Display, keysym: int) -> bool:
        held = self.keys.pop(keysym, None)
        if held is None:
            return False
        xtest.fake_input(d, X.KeyRelease, held[0])
        d.flush()
        return True

    def scroll(self, d: Display, dx: int, dy: int, control_key: bool) -> None:
        """Neko's wheel: dy > 0 is button 4, dy < 0 button 5, dx > 0 button 6, dx < 0 button 7, once per unit."""
        control = control_key and self.key_down(d, CONTROL_L)
        clicks = [SCROLL_UP if dy > 0 else SCROLL_DOWN] * abs(dy) + [SCROLL_LEFT if dx > 0 else SCROLL_RIGHT] * abs(dx)
        for button in clicks:
            xtest.fake_input(d, X.ButtonPress, button)
            xtest.fake_input(d, X.ButtonRelease, button)
        if control:
            self.key_up(d, CONTROL_L)
        d.flush()

    def release_all(self, d: Display) -> None:
        for keysym in list(self.keys):
            self.key_up(d, keysym)
        for code in list(self.buttons):
            self.button_up(d, code)

    def release_older_than(self, d: Display, age: float) -> None:
        cutoff = time.monotonic() - age
        for keysym, (_, since) in list(self.keys.items()):
            if since < cutoff:
                self.key_up(d, keysym)
        for code, since in list(self.buttons.items()):
            if since < cutoff:
                self.button_up(d, code)

    def _keycode(self, d: Display, keysym: int) -> int:
        """A key that gives ``keysym`` with Shift as it is held now; else a spare key giving it at every level.

        So Shift+"<" is the comma key's "<", not the "<>" key's ">", and an "A" or ":" sent without Shift
        (phone keyboards, IMEs) still arrives as itself."""
        _refresh_keymap(d)
        shift = bool(self.keys.keys() & SHIFTS)
        for keycode, _index in d.keysym_to_keycodes(keysym):
            unshifted, shifted = d.keycode_to_keysym(keycode, 0), d.keycode_to_keysym(keycode, 1)
            produced = (shifted or unshifted) if shift else unshifted  # the core rule: no shifted symbol, the same
            if produced == keysym:
                return int(keycode)
        return self._rebind(d, keysym)

    def _rebind(self, d: Display, keysym: int) -> int:
        """Give ``keysym`` the highest keycode that has no symbols (Neko's technique)."""
        first = d.display.info.min_keycode
        count = d.display.info.max_keycode - first + 1
        mapping = d.get_keyboard_mapping(first, count)
        taken = set(self._rebound.values())
        for offset in range(count - 1, -1, -1):
            keycode = first + offset
            if keycode not in taken and not any(mapping[offset]):
                d.change_keyboard_mapping(keycode, [(keysym,) * len(mapping[offset])])
                d.sync()  # the MappingNotify is queued now: the cache learns the new key
                _refresh_keymap(d)
                self._rebound[keysym] = keycode
                return keycode
        return 0


def _refresh_keymap(d: Display) -> None:
    """Apply MappingNotify events (setxkbmap, rebinds) to python-xlib's cached keymap."""
    while d.pending_events():
        event = d.next_event()
        if event.type == X.MappingNotify:
            d.refresh_keyboard_mapping(event)
