"""A minimal XTest adapter for the data channel on a display nekoapi does not run.

Used only with ``capture.video.display`` (the media tests' own Xvfb). The room's own desktop is
driven through ``services.desktop`` (DesktopManager: debounce, 10 s release, keysym rebinding);
LEAD: this could go once the tests use the shared x_server for everything.
One X connection, used from one worker thread (python-xlib is not thread-safe).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from Xlib import XK, X
from Xlib.display import Display
from Xlib.ext import xtest


class XTestInput:
    def __init__(self, display: str) -> None:
        self._name = display
        self._display: Display | None = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="xtest")

    async def _run(self, fn: Any, *args: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    def _x(self) -> Display:
        if self._display is None:
            self._display = Display(self._name)
        return self._display

    def _move(self, x: int, y: int) -> None:
        d = self._x()
        d.screen().root.warp_pointer(x, y)
        d.sync()

    def _button(self, code: int, down: bool) -> None:
        d = self._x()
        xtest.fake_input(d, X.ButtonPress if down else X.ButtonRelease, code)
        d.sync()

    def _key(self, keysym: int, down: bool) -> None:
        d = self._x()
        keycode = d.keysym_to_keycode(keysym)
        if keycode:
            xtest.fake_input(d, X.KeyPress if down else X.KeyRelease, keycode)
            d.sync()

    def _scroll(self, dx: int, dy: int, control: bool) -> None:
        ctrl = self._x().keysym_to_keycode(XK.XK_Control_L) if control else 0
        if ctrl:
            xtest.fake_input(self._x(), X.KeyPress, ctrl)
        for button, count in ((4 if dy > 0 else 5, abs(dy)), (6 if dx > 0 else 7, abs(dx))):
            for _ in range(count):
                self._button(button, True)
                self._button(button, False)
        if ctrl:
            xtest.fake_input(self._x(), X.KeyRelease, ctrl)
            self._x().sync()

    async def move(self, x: int, y: int) -> None:
        await self._run(self._move, x, y)

    async def scroll(self, delta_x: int, delta_y: int, control_key: bool) -> None:
        await self._run(self._scroll, delta_x, delta_y, control_key)

    async def button_down(self, code: int) -> None:
        await self._run(self._button, code, True)

    async def button_up(self, code: int) -> None:
        await self._run(self._button, code, False)

    async def key_down(self, keysym: int) -> None:
        await self._run(self._key, keysym, True)

    async def key_up(self, keysym: int) -> None:
        await self._run(self._key, keysym, False)

    def close(self) -> None:
        self._worker.shutdown(wait=False)
