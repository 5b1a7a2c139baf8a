"""The application shown in the room (Chromium by default), restarted with back-off when it exits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from ..children import Child, spawn
from ..reaper import end_with_nekoapi
from .chromium import DevToolsPipe, command_line, is_chromium, launch_argv, prepare_policies
from .screen import ScreenSize

__all__ = ["AppSupervisor", "command_line"]

log = logging.getLogger("nekoapi.desktop.app")

MIN_BACKOFF, MAX_BACKOFF = 1.0, 30.0
STABLE_AFTER = 30.0  # a run this long resets the back-off
STOP_TIMEOUT = 5.0


class AppSupervisor:
    """Runs the app in the display while the desktop is up; ``stop()`` ends it for good."""

    def __init__(
        self,
        app: str,
        profile: Path,
        display: Callable[[], str | None],
        size: Callable[[], ScreenSize],
        *,
        policies: Mapping[str, Any] | None = None,
        extensions: tuple[str, ...] = (),
        environment: Callable[[], dict[str, str]] = dict,
        on_devtools: Callable[[DevToolsPipe], None] | None = None,
    ):
        self._app, self._profile, self._display, self._size = app, profile, display, size
        self._policies, self._extensions = dict(policies or {}), extensions
        self._private_etc: Path | None = None  # the policies' folder, made at the first start
        self._task: asyncio.Task[None] | None = None
        # Extra variables for the app, asked at each start (services.py: PULSE_SERVER).
        self._environment = environment
        # Told of each Chromium start with its DevTools pipe, whose ends it then owns (desktop/cdp.py).
        # Without it the pipe is kept open until the browser exits: closing it would end the browser.
        self._on_devtools = on_devtools
        self.process: Child | None = None
        self.starts = 0

    @property
    def profile(self) -> Path:
        return self._profile

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="desktop-app")

    async def restart(self) -> None:
        """End the running app; the supervisor starts it again (e.g. to reach a new sound server)."""
        if self.process is not None and self.process.returncode is None:
            log.info("restarting %s", self._app)
            await self._terminate()

    async def stop(self) -> None:
        await self._halt()
        if self._private_etc is not None:
            await asyncio.to_thread(shutil.rmtree, self._private_etc, True)
            self._private_etc = None

    async def _halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._terminate()

    @contextlib.asynccontextmanager
    async def halted(self) -> AsyncIterator[None]:
        """The app is stopped inside (its profile may change), and started again after, if it ran."""
        running = self._task is not None
        await self._halt()
        try:
            yield
        finally:
            if running:
                self.start()

    async def _run(self) -> None:
        backoff = MIN_BACKOFF
        while True:
            display = self._display()
            if display is None:
                await asyncio.sleep(0.5)  # the X server is down; the manager brings it back
                continue
            started = asyncio.get_running_loop().time()
            code = await self._once(display)
            ran = asyncio.get_running_loop().time() - started
            backoff = MIN_BACKOFF if ran >= STABLE_AFTER else min(backoff * 2, MAX_BACKOFF)
            log.warning("%s exited with status %s after %.1f s; restarting in %.0f s", self._app, code, ran, backoff)
            await asyncio.sleep(backoff)

    async def _once(self, display: str) -> int | None:
        self._profile.mkdir(parents=True, exist_ok=True)
        argv = command_line(self._app, self._profile.resolve(), self._size(), self._extensions)
        name = argv[0]
        pipe = DevToolsPipe() if is_chromium(name) else None
        try:
            if pipe is not None:
                argv = launch_argv(argv, pipe, await self._policy_folder(argv[0]))
            self.process = await spawn(
                argv,
                env={**os.environ, **self._environment(), "DISPLAY": display},
                start_new_session=True,
                pass_fds=pipe.child_fds if pipe is not None else (),
            )
        except OSError as exc:
            log.error("cannot start %s: %s", name, exc)
            if pipe is not None:
                pipe.close()
            return None
        kept = pipe
        if pipe is not None:
            pipe.close_child_ends()
            if self._on_devtools is not None:
                self._on_devtools(pipe)
                kept = None
        try:
            await asyncio.to_thread(end_with_nekoapi, self.process.pid)  # may start the reaper: off the loop
            self.starts += 1
            log.info("started %s in display %s (pid %d)", name, display, self.process.pid)
            return await self.process.wait()
        finally:
            if kept is not None:
                kept.close()

    async def _policy_folder(self, argv0: str) -> Path | None:
        if not self._policies:
            return None
        if self._private_etc is None:
            self._private_etc = await asyncio.to_thread(prepare_policies, argv0, self._policies)
        return self._private_etc

    async def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        # The main process alone first: a browser shuts down cleanly on SIGTERM, its helpers with it,
        # and writes what it holds (local storage, cookies); signalled together, they would not.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
        await process.wait()
