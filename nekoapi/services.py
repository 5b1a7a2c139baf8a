"""The composition root: builds the managers from the configuration, starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from . import errors
from .config import Config, ConfigError
from .desktop.clipboard import CLIPBOARD_SET, ClipboardManager
from .desktop.manager import DesktopManager
from .desktop.uploads import UploadManager
from .desktop.ws import DesktopMessages
from .events import EventBus, ProfileChanged
from .media.broadcast import BroadcastManager
from .media.pulse_monitor import PulseMonitor
from .media.room import build_media, publish_desktop_audio, start_desktop_audio
from .media.screencast import ScreencastManager
from .members import create_provider
from .members.manager import MemberManager
from .metrics import Metrics
from .sessions.backend import LocalBackend, StateBackend
from .sessions.manager import SessionManager
from .sessions.memory_store import MemorySessionStore
from .sessions.room import RoomManager
from .sessions.sqlite_store import SqliteSessionStore
from .types import HealthCheck, SessionStore
from .ws import protocol
from .ws.broadcaster import Broadcaster
from .ws.messages import ClientMessages

log = logging.getLogger(__name__)

# How long shutdown waits for clients to answer our close frames.
SOCKET_DRAIN_TIMEOUT = 3.0


class Services:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.bus = EventBus()
        self.members = create_provider(config.member)
        self.store = _session_store(config, self.bus)
        self.backend = _state_backend(config)
        self.sessions = SessionManager(config.session, self.members, self.bus, store=self.store, backend=self.backend)
        self.member_manager = MemberManager(self.members, self.sessions)
        self.broadcaster = Broadcaster(self.sessions)
        # After the broadcaster: the room reacts to connects after system/init went out.
        self.room = RoomManager(self.sessions)
        # --- desktop (issue 13) ---
        self.desktop = DesktopManager(config.desktop, self.sessions)
        # --- media (issue 14): WebRTC peers, the encoders' stages, the data channel ---
        self.media, self.audio_server = build_media(config, self.sessions, self.desktop)
        self.broadcaster.videos = self.media.video_ids
        self.client_messages = ClientMessages(self.sessions, self.room, self.media)
        # --- end media ---
        self.desktop_messages = DesktopMessages(self.sessions, self.room, self.desktop, self.broadcaster.broadcast)
        self.client_messages.extend(self.desktop_messages.table())
        if config.desktop.enabled:
            self.broadcaster.screen_size = self.desktop.screen
            self.broadcaster.screen_sizes = self.desktop.configurations
        # --- end desktop ---
        self.metrics = Metrics(self.bus, self.sessions) if config.server.metrics else None
        # --- desktop-io (issue 13): clipboard and uploads on the desktop's X display ---
        # Tests point this at a display of their own; it is the desktop manager's otherwise.
        self.desktop_display: Callable[[], str | None] = lambda: self.desktop.display
        self.clipboard = ClipboardManager(lambda: self.desktop_display(), self.sessions)
        self.uploads = UploadManager(
            lambda: self.desktop_display(), self.sessions, config.desktop, self.desktop.release_all_input
        )
        self.client_messages.extend({CLIPBOARD_SET: self.clipboard.on_client_set})
        self.desktop_messages.clipboard_setter = self.clipboard.paste_text
        # Serving tasks of open WebSockets, so shutdown can wait for their goodbyes.
        self.sockets: set[asyncio.Task[None]] = set()
        # --- broadcast and screencast (issue 13): they find the X display through display_name ---
        capture = config.capture
        self.broadcast = BroadcastManager(capture.broadcast, self.display_name, self.sessions, PulseMonitor())
        self.screencast = ScreencastManager(capture.screencast, self.display_name, self.sessions, self.bus)
        self.broadcaster.broadcast_status = self.broadcast.status
        self.broadcaster.screencast_enabled = lambda: self.screencast.enabled

    async def start(self) -> None:
        await self.backend.start()
        await self.member_manager.start()
        self.broadcaster.start()
        self.sessions.start()
        self.media.start()
        await start_desktop_audio(self.audio_server, self.desktop)  # before the app, which plays into it
        await self.desktop.start()
        await publish_desktop_audio(self.audio_server, self.desktop)
        await self.clipboard.start()
        await self.uploads.start()
        # After the desktop: an autostarted broadcast needs its display.
        await self.broadcast.startup()

    async def stop(self) -> None:
        await self.broadcast.shutdown()
        await self.screencast.shutdown()
        await self.uploads.stop()
        await self.clipboard.stop()
        await self.media.stop()
        await self.desktop.stop()
        self.audio_server.stop()
        await self.sessions.stop()
        await self.broadcaster.stop()
        await self.member_manager.stop()
        await self.backend.stop()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def display_name(self) -> str | None:
        """The desktop's X display; None while it is down, or when the server has no desktop."""
        return self.desktop.display

    async def health(self) -> None:
        """Raises ``BackingStoreUnavailable`` naming the first store that does not answer."""
        for name, component in self._stores():
            try:
                await component.ping()
            except Exception as exc:
                log.warning("health: %s unreachable: %s", name, type(exc).__name__)
                raise errors.BackingStoreUnavailable(f"{name} unreachable") from None
        self.desktop.health()

    def metrics_text(self) -> bytes:
        if self.metrics is None:
            raise errors.MetricsDisabled()
        return self.metrics.render()

    def _stores(self) -> list[tuple[str, HealthCheck]]:
        candidates = {"member provider": self.members, "session store": self.store, "redis": self.backend}
        return [(name, c) for name, c in candidates.items() if hasattr(c, "ping")]  # type: ignore[misc]

    async def close_sockets(self, reason: str = protocol.REASON_SHUTDOWN) -> None:
        """Say goodbye on every open WebSocket and wait (briefly) until they are closed."""
        for session in self.sessions.connected():
            if session.peer is not None:
                session.peer.destroy(reason)
        pending = [t for t in self.sockets if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=SOCKET_DRAIN_TIMEOUT)


def _state_backend(config: Config) -> StateBackend:
    if config.session.store != "redis":
        return LocalBackend()
    from .sessions.redis_backend import RedisBackend

    return RedisBackend(config.redis)


def _session_store(config: Config, bus: EventBus) -> SessionStore:
    if config.session.store == "redis" and config.session.file:
        raise ConfigError("session.file: not used with session.store redis (Redis keeps the sessions)")
    if not config.session.file:
        return MemorySessionStore()
    try:
        store = SqliteSessionStore(config.session.file)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"session.file: cannot open {config.session.file} ({exc})") from None
    bus.subscribe(ProfileChanged, lambda e: store.update(e.session))
    return store
