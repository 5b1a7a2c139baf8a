"""The X server and our connections to it: brought up, watched, and brought back when it dies.

With a configured display we only connect (and reconnect); without one we run our own X server and
restart it. Input held longer than ``HELD_INPUT_LIMIT`` is released by the same watch loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .. import errors
from ..config import DesktopConfig
from .input import Input
from .keyboard import LockState
from .screenshot import Grabber
from .touch import TouchPointer
from .xconn import XConnection
from .xserver import XServer

log = logging.getLogger("nekoapi.desktop")

WATCH_INTERVAL = 0.5
HELD_INPUT_LIMIT = 10.0  # Neko's: anything held longer is released
MAX_RESTART_DELAY = 10.0


class DesktopRuntime:
    def __init__(self, config: DesktopConfig, on_up: Callable[[], Awaitable[None]]) -> None:
        self._config, self._on_up = config, on_up
        self.server: XServer | None = None  # ours, when no display is configured
        self.name: str | None = None  # the display while it is up
        self.control: XConnection | None = None  # screen, input and keyboard
        self.shots: XConnection | None = None
        self.grabber: Grabber | None = None
        self.locks: LockState | None = None
        self.input = Input()
        self.touch = TouchPointer(self.input)
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def target(self) -> str:
        """What the desktop drives, for messages: the display, or our X server."""
        return self._config.display or (self.server.display if self.server and self.server.display else "our X server")

    async def start(self) -> None:
        await self._recover(WATCH_INTERVAL)  # a failure is logged; the watch loop keeps trying
        self._task = asyncio.create_task(self._watch(), name="desktop-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._disconnect()
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)

    def require(self) -> XConnection:
        if self.name is None or self.control is None or self.control.broken:
            raise errors.DesktopUnavailable(f"desktop is not available: X display {self.target} is not running")
        return self.control

    async def _bring_up(self) -> None:
        name = self._config.display or await self._start_server()
        control = XConnection(name, "x")
        try:
            await control.open()
            self.locks = await control.run(lambda d: LockState(name))
            self.shots = XConnection(name, "shot")
            self.grabber = await self.shots.run(lambda d: Grabber(name))
        except Exception:
            await control.close()
            raise
        self.control, self.input, self.name = control, Input(), name
        self.touch = TouchPointer(self.input)
        log.info("desktop up on display %s", name)
        await self._on_up()

    async def _start_server(self) -> str:
        if self.server is None:
            self.server = XServer(self._config.xserver)
        await asyncio.to_thread(self.server.stop)  # a dead one leaves its files
        return await asyncio.to_thread(self.server.start)

    async def _disconnect(self) -> None:
        control, shots, self.control, self.shots, self.name = self.control, self.shots, None, None, None
        grabber, locks, self.grabber, self.locks = self.grabber, self.locks, None, None
        for connection, resource in ((shots, grabber), (control, locks)):
            if connection is None:
                continue
            if resource is not None:
                with contextlib.suppress(Exception):
                    await connection.run(lambda d, r=resource: r.close())
            await connection.close()

    async def _watch(self) -> None:
        delay = WATCH_INTERVAL
        while True:
            await asyncio.sleep(delay)
            if self.name is not None and await self._healthy():
                delay = WATCH_INTERVAL
                continue
            if self.name is not None:
                log.error("desktop lost: X display %s stopped answering", self.name)
                await self._disconnect()
            delay = await self._recover(delay)

    async def _healthy(self) -> bool:
        if self.server is not None and not self.server.alive():
            return False
        try:
            control = self.require()
            await control.run(self.input.release_older_than, HELD_INPUT_LIMIT)
            await control.run(lambda d: d.get_input_focus())  # one round trip proves it answers
        except errors.DesktopUnavailable:
            return False
        return True

    async def _recover(self, delay: float) -> float:
        try:
            await self._bring_up()
        except Exception as exc:  # X, xcb and process errors alike: log and retry later
            log.warning("desktop still down (%s); retrying in %.1f s", exc, delay)
            return min(delay * 2, MAX_RESTART_DELAY)
        self.restarts += 1
        return WATCH_INTERVAL
