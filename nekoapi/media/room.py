"""The media half of the composition root: what ``services.media`` is built from.

The media grab the desktop's display and apply input through the DesktopManager. PulseAudio
starts before the app (Chromium), which gets ``PULSE_SERVER`` in its environment (services.py);
it is also announced on the root window (PULSE_SERVER), for programs started inside the desktop.
"""

from __future__ import annotations

import asyncio
import threading

from Xlib import Xatom
from Xlib.display import Display

from ..config import Config
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..types import Desktop, PointerKeyboard
from .manager import MediaManager
from .pulse import PulseServer
from .xinput import XTestInput


class AudioServer:
    """``capture.pulse.server``, or our own PulseAudio started on first use (from a worker thread)."""

    def __init__(self, configured: str) -> None:
        self._configured = configured
        self._own: PulseServer | None = None
        self._lock = threading.Lock()
        self.failed = False

    def server(self) -> str | None:
        if self._configured:
            return self._configured
        with self._lock:
            if self._own is None and not self.failed:
                own = PulseServer()
                try:
                    own.start()
                except (OSError, RuntimeError):
                    self.failed = True
                    return None
                self._own = own
        return self._own.server if self._own else None

    def address(self) -> str | None:
        """Where the desktop's sound is, without starting anything: the configured server, or ours once up."""
        return self._configured or self.own_server

    @property
    def own_server(self) -> str | None:
        return self._own.server if self._own else None

    def stop(self) -> None:
        if self._own is not None:
            self._own.stop()
            self._own = None


def build_media(config: Config, sessions: SessionManager, desktop: Desktop) -> tuple[MediaManager, AudioServer]:
    """``capture.video.display`` (a display nekoapi does not run) is grabbed and driven with plain
    XTest; otherwise the desktop's display and its input (DesktopManager) are used."""
    audio = AudioServer(config.capture.pulse.server)
    own_display = config.capture.video.display
    adapter = XTestInput(own_display) if own_display else None

    def display() -> str | None:
        return own_display or desktop.display

    def pointer() -> PointerKeyboard | None:
        return adapter if adapter is not None else (desktop if desktop.display else None)

    media = MediaManager(config, sessions, display, audio.server, pointer)
    sessions.bus.subscribe(ScreenChanged, lambda _e: media.stages.screen_changed())
    return media, audio


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
