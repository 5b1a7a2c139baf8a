"""The room's one RTMP broadcast (Neko's ``capture.broadcast``), for administrators.

The push itself runs in threads (``rtmp.RtmpPush``); this manager keeps the
state Neko's clients see: ``{is_active, url}``, told to administrators as
``broadcast/status`` on every start and stop, including a push that dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from .. import errors
from ..config import RTMP_SCHEMES, BroadcastConfig
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import AudioSource, DisplaySource, RoomPart
from . import rtmp
from .rtmp import RtmpPush, reason, safe_url

log = logging.getLogger(__name__)

BROADCAST_STATUS = "broadcast/status"
# The push gives up on its own after rtmp.CONNECT_TIMEOUT; this is the request's backstop.
CONNECT_BACKSTOP = 3.0
STALL_TIMEOUT = 5.0  # a push that could send no frame for this long has dropped


class BroadcastManager(RoomPart):
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
        self._watchdog: asyncio.Task[None] | None = None  # held so it is not collected
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
            self._watchdog = asyncio.create_task(self._watch(self._push))
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

    def admin_fields(self, session: Session) -> dict[str, Any]:
        return {"broadcast_status": self.status()}

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
            await asyncio.wait_for(asyncio.to_thread(push.connect), rtmp.CONNECT_TIMEOUT + CONNECT_BACKSTOP)
        except errors.NekoError:
            raise
        except (ConnectionError, TimeoutError) as exc:  # ffmpeg ended or never got an answer: the address's
            push.abandon()
            why = reason(exc) if exc.args else "the RTMP server did not answer"
            raise _logged(url, errors.BroadcastUnreachable(f"broadcast could not start: {why}")) from None
        except Exception as exc:  # the grab or the encoder: ours
            push.abandon()
            raise _logged(url, errors.BroadcastFailed(f"broadcast could not start: {reason(exc)}")) from None
        return push

    async def _watch(self, push: RtmpPush) -> None:
        """A send that blocks (the RTMP server stopped reading) never fails by itself: time it out."""
        while self._push is push:
            await asyncio.sleep(1.0)
            if self._push is push and time.monotonic() - push.last_sent > STALL_TIMEOUT:
                push.abandon()
                self._ended(push, f"no frame could be sent for {STALL_TIMEOUT:.0f} s")

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


def _logged(url: str, error: errors.NekoError) -> errors.NekoError:
    log.error("broadcast to %s %s", safe_url(url), error.text.removeprefix("broadcast "))
    return error
