"""The room's one RTMP broadcast (Neko's ``capture.broadcast``), for administrators.

The push itself runs in threads (``rtmp.RtmpPush``); this manager keeps the
state Neko's clients see: ``{is_active, url}``, told to administrators as
``broadcast/status`` on every start and stop, including a push that dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .. import errors
from ..config import RTMP_SCHEMES, BroadcastConfig
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..types import AudioSource, DisplaySource
from .rtmp import RtmpPush, safe_url

log = logging.getLogger(__name__)

BROADCAST_STATUS = "broadcast/status"


class BroadcastManager:
    def __init__(
        self,
        config: BroadcastConfig,
        display: DisplaySource,
        sessions: SessionManager,
        audio: AudioSource | None = None,
    ) -> None:
        self.config = config
        self.url = config.url  # kept after a stop or a failure, as Neko shows it
        self._display = display
        self._sessions = sessions
        self._audio = audio
        self._push: RtmpPush | None = None
        self._lock = asyncio.Lock()
        sessions.bus.subscribe(ScreenChanged, self._on_screen_changed)

    @property
    def is_active(self) -> bool:
        return self._push is not None

    def status(self) -> dict[str, Any]:
        """broadcastStatus and system/admin's ``broadcast_status``: ``url`` only when set."""
        return {"is_active": self.is_active, "url": self.url} if self.url else {"is_active": self.is_active}

    async def start(self, url: str) -> None:
        if not url:
            raise errors.BroadcastUrlMissing()
        if not url.startswith(RTMP_SCHEMES):
            raise errors.BroadcastUrlUnsupported()
        async with self._lock:
            if self._push is not None:
                raise errors.BroadcastActive()
            display = self._display()
            if display is None:
                raise errors.DesktopUnavailable()
            self.url = url
            self._push = await self._connect(url, display)
            self._push.start()
        log.info("broadcast started to %s (audio: %s)", safe_url(url), "yes" if self._push.with_audio else "none")
        self._tell_admins()

    async def stop(self) -> None:
        async with self._lock:
            push, self._push = self._push, None
            if push is None:
                raise errors.BroadcastInactive()
            await asyncio.to_thread(push.stop)
        log.info("broadcast to %s stopped", safe_url(self.url))
        self._tell_admins()

    async def startup(self) -> None:
        """Neko's autostart: a configured URL starts broadcasting with the server."""
        if not (self.config.url and self.config.autostart):
            return
        try:
            await self.start(self.config.url)
        except errors.NekoError as exc:
            log.error("broadcast autostart failed: %s", exc.text)

    async def shutdown(self) -> None:
        if self._push is not None:
            await self.stop()

    async def _connect(self, url: str, display: str) -> RtmpPush:
        loop = asyncio.get_running_loop()
        push: RtmpPush

        def ended(error: str | None) -> None:  # from the push's thread
            loop.call_soon_threadsafe(self._ended, push, error)

        push = RtmpPush(url, display, self.config, self._audio, ended)
        try:
            await asyncio.to_thread(push.connect)
        except errors.DesktopUnavailable:
            raise
        except Exception as exc:
            reason = _reason(exc)
            log.error("broadcast to %s could not start: %s", safe_url(url), reason)
            raise errors.BroadcastFailed(f"broadcast could not start: {reason}") from None
        return push

    def _on_screen_changed(self, _event: ScreenChanged) -> None:
        if self._push is not None:
            self._push.screen_changed()  # it reconnects at the new size (Neko rebuilds its pipeline)

    def _ended(self, push: RtmpPush, error: str | None) -> None:
        if self._push is not push:
            return  # stopped on purpose: stop() reports it
        self._push = None
        log.error("broadcast to %s dropped: %s", safe_url(self.url), error or "the push ended")
        self._tell_admins()

    def _tell_admins(self) -> None:
        status = self.status()
        for session in self._sessions.connected():
            if session.profile.is_admin:
                session.send(BROADCAST_STATUS, status)


def _reason(exc: Exception) -> str:
    """What went wrong, without the URL (FFmpeg's messages may name it, stream key included)."""
    strerror = getattr(exc, "strerror", None)  # OSError and PyAV's FFmpegError
    return str(strerror).lower() if strerror else type(exc).__name__
