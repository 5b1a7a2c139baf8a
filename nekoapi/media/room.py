"""The media half of the composition root: what ``services.media`` is built from.

The media grab the desktop's display and apply input through the DesktopManager. PulseAudio
starts before the app (Chromium), which gets ``PULSE_SERVER`` in its environment (services.py);
it is also announced on the root window (PULSE_SERVER), for programs started inside the desktop.
Our PulseAudio is watched and restarted when it dies, as the X server is; the app is then told
(``on_restart``), since Chromium never reconnects to a sound server it lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from Xlib import Xatom
from Xlib.display import Display

from .. import errors
from ..config import Config
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..types import Desktop, PointerKeyboard
from .manager import MediaManager
from .pulse import PulseServer

log = logging.getLogger(__name__)
WATCH_INTERVAL = 0.5
MAX_RESTART_DELAY = 10.0


class AudioServer:
    """``capture.pulse.server``, or our own PulseAudio started on first use (from a worker thread)
    and brought back by ``watch()`` when it dies."""

    def __init__(self, configured: str, on_restart: Callable[[], Awaitable[None]] | None = None) -> None:
        self._configured = configured
        self._own: PulseServer | None = None
        self._lock = threading.Lock()
        self.failed = False
        self.restarts = 0
        self._restarting = False  # from noticing our server dead until its successor answers
        # Told after a restart (services.py: the app, which must reconnect to hear the new server).
        self._on_restart = on_restart
        self._task: asyncio.Task[None] | None = None

    def server(self) -> str | None:
        """Where to play and record; None while our own server is down (it is being restarted)."""
        if self._configured:
            return self._configured
        with self._lock:
            if self._own is None and not self.failed:
                own = PulseServer()
                try:
                    own.start()
                except (OSError, RuntimeError) as exc:
                    log.warning("no desktop sound: PulseAudio did not start (%s)", exc)
                    self.failed = True
                    return None
                self._own = own
            return self._own.server if self._own and self._own.alive() else None

    def address(self) -> str | None:
        """Where the desktop's sound is, without starting anything: the configured server, or ours once up."""
        return self._configured or self.own_server

    @property
    def own_server(self) -> str | None:
        return self._own.server if self._own else None

    def health(self) -> None:
        """Raises ``AudioUnavailable`` while our own PulseAudio is down."""
        own = self._own
        if own is not None and (self._restarting or not own.alive()):
            raise errors.AudioUnavailable()

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="pulseaudio-watch")

    async def _watch(self) -> None:
        delay = WATCH_INTERVAL
        while True:
            await asyncio.sleep(delay)
            own = self._own
            if own is None or own.alive():
                delay = WATCH_INTERVAL
                continue
            if not self._restarting:
                self._restarting = True
                log.error("PulseAudio (pid %s) died; restarting it", own.pid)
            try:
                await asyncio.to_thread(self._restart, own)
            except (OSError, RuntimeError) as exc:
                delay = min(delay * 2, MAX_RESTART_DELAY)
                log.warning("PulseAudio still down (%s); retrying in %.1f s", exc, delay)
                continue
            delay, self._restarting = WATCH_INTERVAL, False
            self.restarts += 1
            log.info("PulseAudio restarted (pid %s)", own.pid)
            if self._on_restart is not None:
                await self._on_restart()

    def _restart(self, own: PulseServer) -> None:
        with self._lock:  # server() callers wait for the new one rather than see it half up
            own.restart()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._own is not None:
            self._own.stop()
            self._own = None


def build_media(config: Config, sessions: SessionManager, desktop: Desktop, audio: AudioServer) -> MediaManager:
    """The media grab the desktop's display and apply input through the desktop (DesktopManager)."""

    def display() -> str | None:
        return desktop.display

    def pointer() -> PointerKeyboard | None:
        return desktop if desktop.display else None

    media = MediaManager(config, sessions, display, audio.server, pointer)
    sessions.bus.subscribe(ScreenChanged, lambda _e: media.stages.screen_changed())
    return media


async def start_desktop_audio(audio: AudioServer, desktop: Desktop) -> None:
    if getattr(desktop, "enabled", False):
        await asyncio.to_thread(audio.server)


async def publish_desktop_audio(audio: AudioServer, desktop: Desktop) -> None:
    """The app finds our PulseAudio through the root window's PULSE_SERVER property (libpulse reads it)."""
    server, display = audio.own_server, desktop.display
    if server and display:
        await asyncio.to_thread(_set_root_property, display, "PULSE_SERVER", server)


def _set_root_property(display: str, name: str, value: str) -> None:
    connection = Display(display)
    try:
        root = connection.screen().root
        root.change_property(connection.intern_atom(name), Xatom.STRING, 8, value.encode())
        connection.sync()
    finally:
        connection.close()
