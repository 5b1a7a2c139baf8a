"""The media half of the composition root: what ``services.media`` is built from.

LEAD (merge seams): ``display`` should become ``services.desktop.display``, ``pointer``
``services.desktop`` (its DesktopManager has move/scroll/button_*/key_*), and the app
supervisor should start Chromium with ``PULSE_SERVER=services.audio_server.server``.
Until then: ``capture.video.display`` names the display and a plain XTest adapter applies input.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..config import Config
from ..sessions.manager import SessionManager
from ..types import PointerKeyboard
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

    def stop(self) -> None:
        if self._own is not None:
            self._own.stop()
            self._own = None


def build_media(
    config: Config, sessions: SessionManager, display: Callable[[], str | None]
) -> tuple[MediaManager, AudioServer]:
    audio = AudioServer(config.capture.pulse.server)
    adapters: dict[str, XTestInput] = {}

    def pointer() -> PointerKeyboard | None:
        name = display()
        if name is None:
            return None
        if name not in adapters:
            adapters[name] = XTestInput(name)
        return adapters[name]

    return MediaManager(config, sessions, display, audio.server, pointer), audio
