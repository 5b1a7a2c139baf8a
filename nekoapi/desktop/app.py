"""The application shown in the room (Chromium by default), restarted with back-off when it exits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
from collections.abc import Callable
from pathlib import Path

from ..reaper import end_with_nekoapi
from .screen import ScreenSize

log = logging.getLogger("nekoapi.desktop.app")

MIN_BACKOFF, MAX_BACKOFF = 1.0, 30.0
STABLE_AFTER = 30.0  # a run this long resets the back-off
STOP_TIMEOUT = 5.0

# No sandbox as root (Chromium refuses otherwise); --test-type hides the "unsupported flag" bar.
CHROMIUM_FLAGS = (
    "--test-type",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,MediaRouter",
    "--password-store=basic",
    "--disable-dev-shm-usage",
    "--window-position=0,0",
)


def command_line(app: str, profile: Path, size: ScreenSize) -> list[str]:
    """``app`` split like a shell would; Chromium-family browsers get our flags, profile and size."""
    argv = shlex.split(app)
    if "chrom" not in Path(argv[0]).name:
        return argv
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size.width},{size.height}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    return [argv[0], *flags, *argv[1:]]


class AppSupervisor:
    """Runs the app in the display while the desktop is up; ``stop()`` ends it for good."""

    def __init__(self, app: str, profile: Path, display: Callable[[], str | None], size: Callable[[], ScreenSize]):
        self._app, self._profile, self._display, self._size = app, profile, display, size
        self._task: asyncio.Task[None] | None = None
        # Extra variables for the app, asked at each start (services.py: PULSE_SERVER).
        self.environment: Callable[[], dict[str, str]] = dict
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="desktop-app")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._terminate()

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
        argv = command_line(self._app, self._profile.resolve(), self._size())
        try:
            self.process = await asyncio.create_subprocess_exec(
                *argv,
                env={**os.environ, **self.environment(), "DISPLAY": display},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            log.error("cannot start %s: %s", argv[0], exc)
            return None
        await asyncio.to_thread(end_with_nekoapi, self.process.pid)  # may start the reaper: off the loop
        self.starts += 1
        log.info("started %s in display %s (pid %d)", argv[0], display, self.process.pid)
        return await self.process.wait()

    async def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the browser's helpers too
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
