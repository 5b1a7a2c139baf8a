"""Touches emulated as the pointer, and keysyms that arrive as themselves whatever Shift is doing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from Xlib import XK, X
from Xlib.display import Display

from ..support.client import ApiClient
from .conftest import events, input_window, send

pytestmark = pytest.mark.desktop
SHIFT_L = XK.string_to_keysym("Shift_L")


def typed(d: Display, found: list[Any]) -> str:
    """What a client reads from the key presses: the key's symbol at the level Shift selects (core rule)."""
    text = ""
    for e in found:
        if e.type != X.KeyPress:
            continue
        unshifted, shifted = d.keycode_to_keysym(e.detail, 0), d.keycode_to_keysym(e.detail, 1)
        keysym = (shifted or unshifted) if e.state & X.ShiftMask else unshifted
        if keysym < 0x100:
            text += chr(keysym)
        elif keysym >> 24 == 1:
            text += chr(keysym & 0xFFFFFF)
    return text


async def test_the_first_finger_drives_the_pointer_with_button_1(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    await send(desktop, user, "control/request")  # hosting already: a host change releases what is held
    await asyncio.gather(*desktop.app.services.desktop_messages._pending_release)
    with input_window(xclient) as _:
        await send(desktop, user, "control/touchbegin", {"touch_id": 7, "x": 100, "y": 200})
        await send(desktop, user, "control/touchbegin", {"touch_id": 8, "x": 900, "y": 600})  # a second finger
        await send(desktop, user, "control/touchupdate", {"touch_id": 8, "x": 901, "y": 601})
        await send(desktop, user, "control/touchupdate", {"touch_id": 7, "x": 150, "y": 250})
        await send(desktop, user, "control/touchend", {"touch_id": 7, "x": 160, "y": 260})
        found = await events(xclient, until=lambda f: any(e.type == X.ButtonRelease for e in f))
    buttons = [(e.type, e.detail, e.root_x, e.root_y) for e in found if e.type in (X.ButtonPress, X.ButtonRelease)]
    assert buttons == [(X.ButtonPress, 1, 100, 200), (X.ButtonRelease, 1, 160, 260)]
    moves = {(e.root_x, e.root_y) for e in found if e.type == X.MotionNotify}
    assert (150, 250) in moves and (900, 600) not in moves


async def test_a_keysym_arrives_as_itself_with_shift_held_or_not(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()

    async def press(keysym: int) -> None:
        await send(desktop, user, "control/keydown", {"keysym": keysym})
        await send(desktop, user, "control/keyup", {"keysym": keysym})

    with input_window(xclient) as _:
        await send(desktop, user, "control/keydown", {"keysym": SHIFT_L})
        for char in "<A:":  # with Shift held, as a keyboard sends them
            await press(ord(char))
        await send(desktop, user, "control/keyup", {"keysym": SHIFT_L})
        for char in "A:<>a~é":  # without Shift, as phone keyboards and IMEs send them
            await press(ord(char))
        await press(0x1000000 + ord("ж"))
        found = await events(xclient, until=lambda f: sum(e.type == X.KeyRelease for e in f) >= 13)
    assert typed(xclient, found) == "<A:A:<>a~éж"
