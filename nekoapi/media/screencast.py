"""cast.jpg (Neko's screencast): JPEG frames of the screen at ``capture.screencast.rate``.

The first request starts a grabbing thread and waits up to a second for its
first frame; every request gets the newest frame; the thread ends after
``IDLE_TIMEOUT`` seconds without a request. While private mode hides the
desktop from non-administrators they get the fallback image instead: a
screenshot taken when private mode was switched on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import simplejpeg

from .. import errors
from ..config import ScreencastConfig
from ..desktop import guards
from ..events import EventBus, ScreenChanged, SettingsChanged
from ..sessions import rules
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import DisplaySource, RoomPart
from .screengrab import Frame, Pacer, Resized, ScreenGrabber, take

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 5.0  # Neko: stopped after a 5 s tick without a request
FIRST_FRAME_TIMEOUT = 1.0
FALLBACK_QUALITY = 90


def encode_jpeg(frame: Frame, quality: int) -> bytes:
    return simplejpeg.encode_jpeg(
        memoryview(frame.bgra).cast("B", (frame.height, frame.width, 4)), quality=quality, colorspace="BGRA"
    )


def screenshot_jpeg(display: str, quality: int) -> bytes:
    """Blocking: one JPEG of the screen, without the cursor (as Neko's screenshots)."""
    grabber = ScreenGrabber(display, with_cursor=False)
    try:
        return encode_jpeg(grabber.grab(), quality)
    finally:
        grabber.close()


class _Caster:
    """The grabbing thread: the newest JPEG in ``frame``, until idle or the display fails."""

    def __init__(self, display: str, config: ScreencastConfig) -> None:
        self.display, self.config = display, config
        self.frame: bytes | None = None
        self.requested = time.monotonic()
        self.first = threading.Event()  # set on the first frame, or when the thread ends
        self.size_changed = threading.Event()  # the screen was switched: read its size now
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name="screencast", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.ended.set()
        self._thread.join(2.0)

    def _run(self) -> None:
        pacer = Pacer(self.config.fps, self.ended)
        try:
            grabber = ScreenGrabber(self.display)
        except errors.DesktopUnavailable:
            self._end()
            return
        try:
            while time.monotonic() - self.requested < IDLE_TIMEOUT:
                grabber.resized(now=take(self.size_changed))
                try:
                    self.frame = encode_jpeg(grabber.grab(), self.config.quality)
                except Resized:
                    continue  # grab again at the new size
                self.first.set()
                if not pacer.wait():
                    break
        except Exception as exc:  # the X server went away, or a grab failed mid-switch
            log.warning("screencast stopped: %s: %s", type(exc).__name__, exc)
        finally:
            grabber.close()
            self._end()

    def _end(self) -> None:
        self.ended.set()
        self.first.set()


class ScreencastManager(RoomPart):
    def __init__(
        self, config: ScreencastConfig, display: DisplaySource, sessions: SessionManager, bus: EventBus
    ) -> None:
        self.config = config
        self._display = display
        self._sessions = sessions
        self._caster: _Caster | None = None
        self._fallback: bytes | None = None
        self._fallback_task: asyncio.Task[None] | None = None
        self._private_mode = sessions.settings.private_mode
        bus.subscribe(SettingsChanged, self._on_settings)
        bus.subscribe(ScreenChanged, self._on_screen_changed)

    @property
    def enabled(self) -> bool:
        """system/init's ``screencast_enabled``."""
        return self.config.enabled

    def init_fields(self, session: Session) -> dict[str, Any]:
        return {"screencast_enabled": self.enabled}

    async def image(self, session: Session) -> bytes:
        """cast.jpg for ``session``, with Neko's checks in Neko's order."""
        guards.can_watch(session)
        if rules.private_for(session.profile, self._sessions.settings):
            return await self._fallback_image()
        if not self.config.enabled:
            raise errors.ScreencastDisabled()
        caster = self._running_caster()
        caster.requested = time.monotonic()
        if caster.frame is None:
            await asyncio.to_thread(caster.first.wait, FIRST_FRAME_TIMEOUT)
        if caster.frame is None:
            raise errors.ScreencastUnavailable()
        return caster.frame

    async def shutdown(self) -> None:
        caster, self._caster = self._caster, None
        if caster is not None:
            await asyncio.to_thread(caster.stop)
        if self._fallback_task is not None:
            await asyncio.gather(self._fallback_task, return_exceptions=True)

    def _running_caster(self) -> _Caster:
        caster = self._caster
        if caster is None or caster.ended.is_set():
            display = self._display()
            if display is None:
                raise errors.DesktopUnavailable()
            caster = self._caster = _Caster(display, self.config)
        return caster

    async def _fallback_image(self) -> bytes:
        if self._fallback_task is not None:  # private mode was just switched on: wait for its picture
            await asyncio.gather(asyncio.shield(self._fallback_task), return_exceptions=True)
        if self._fallback is None:
            raise errors.ScreencastNoFallback()
        return self._fallback

    def _on_screen_changed(self, _event: ScreenChanged) -> None:
        if self._caster is not None:
            self._caster.size_changed.set()

    def _on_settings(self, event: SettingsChanged) -> None:
        switched_on = event.settings.private_mode and not self._private_mode
        self._private_mode = event.settings.private_mode
        if switched_on:
            self._fallback_task = asyncio.ensure_future(self._take_fallback())

    async def _take_fallback(self) -> None:
        display = self._display()
        if display is None:
            return
        try:
            self._fallback = await asyncio.to_thread(screenshot_jpeg, display, FALLBACK_QUALITY)
        except errors.DesktopUnavailable:
            log.warning("private mode: no fallback image, the display is not available")
        except Exception as exc:
            log.warning("private mode: no fallback image (%s: %s)", type(exc).__name__, exc)
        finally:
            if self._fallback_task is asyncio.current_task():
                self._fallback_task = None
