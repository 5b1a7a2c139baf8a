"""The keyboard's layout (setxkbmap, read back from ``_XKB_RULES_NAMES``) and its lock modifiers (XKB).

python-xlib has no XKB, so the lock state goes through xcffib's xkb module on a connection of its own.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import xcffib
import xcffib.xkb
from Xlib import X
from Xlib.display import Display

USE_CORE_KEYBOARD = 0x0100
SETXKBMAP_TIMEOUT = 5.0

# Neko's modifier names and the core masks they lock.
MODIFIERS: dict[str, int] = {
    "shift": X.ShiftMask,
    "capslock": X.LockMask,
    "control": X.ControlMask,
    "alt": X.Mod1Mask,
    "numlock": X.Mod2Mask,
    "meta": X.Mod3Mask,
    "super": X.Mod4Mask,
    "altgr": X.Mod5Mask,
}


@dataclass(frozen=True)
class KeyboardMap:
    layout: str
    variant: str

    def to_dict(self) -> dict[str, str]:
        return {"layout": self.layout, "variant": self.variant}


class KeyboardMapError(Exception):
    """setxkbmap refused the layout (its message is for the log)."""


def keyboard_map(d: Display) -> KeyboardMap:
    """Layout and variant from the root window's ``_XKB_RULES_NAMES`` (rules, model, layout, variant, options)."""
    atom = d.get_atom("_XKB_RULES_NAMES")
    prop = d.screen().root.get_full_property(atom, X.AnyPropertyType)
    value = prop.value if prop is not None else b""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    names = [*text.split("\0"), "", "", "", ""]
    return KeyboardMap(layout=names[2], variant=names[3])


def set_keyboard_map(display_name: str, wanted: KeyboardMap) -> None:
    command = ["setxkbmap", "-display", display_name, "-layout", wanted.layout, "-variant", wanted.variant]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SETXKBMAP_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KeyboardMapError(str(exc)) from None
    if done.returncode != 0:
        raise KeyboardMapError(done.stderr.strip() or f"setxkbmap exited with {done.returncode}")


class LockState:
    """The XKB core keyboard's locked modifiers, on its own xcb connection (used from one thread)."""

    def __init__(self, display_name: str) -> None:
        self._conn = xcffib.connect(display=display_name)
        self._xkb = self._conn(xcffib.xkb.key)
        self._xkb.UseExtension(1, 0).reply()

    def get(self) -> dict[str, bool]:
        locked = self._xkb.GetState(USE_CORE_KEYBOARD).reply().lockedMods
        return {name: bool(locked & mask) for name, mask in MODIFIERS.items()}

    def set(self, changes: dict[str, bool | None]) -> None:
        """Lock or unlock the named modifiers; ``None`` and absent names are left as they are."""
        affect = values = 0
        for name, on in changes.items():
            if on is None:
                continue
            affect |= MODIFIERS[name]
            values |= MODIFIERS[name] if on else 0
        if affect:
            self._xkb.LatchLockState(USE_CORE_KEYBOARD, affect, values, False, 0, 0, False, 0, is_checked=True).check()

    def close(self) -> None:
        self._conn.disconnect()
