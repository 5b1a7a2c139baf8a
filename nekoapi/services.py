"""The composition root: builds the managers from the configuration, starts and stops them."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from . import errors
from .config import Config
from .desktop.automation import Automation
from .desktop.clipboard import ClipboardManager
from .desktop.manager import DesktopManager
from .desktop.profile import BrowserProfile
from .desktop.uploads import UploadManager
from .desktop.ws import DesktopMessages
from .events import EventBus, ProfileChanged
from .legacy.gateway import LegacyGateway
from .legacy.room import V2Room
from .media.broadcast import BroadcastManager
from .media.metrics import MediaMetrics
from .media.pulse_monitor import PulseMonitor
from .media.recording import RecordingManager
from .media.room import AudioServer, build_media, publish_desktop_audio, start_desktop_audio
from .media.screencast import ScreencastManager
from .members import create_provider
from .members.links import ShareLinks, create_link_store
from .members.manager import MemberManager
from .memory import MemoryTrimmer, tune_allocator
from .metrics import Metrics
from .plugins import Plugins
from .sessions import reasons
from .sessions.backend import create_backend
from .sessions.manager import SessionManager
from .sessions.memory_store import MemorySessionStore
from .sessions.room import RoomManager
from .sessions.sqlite_store import SqliteSessionStore
from .throttle import LoginThrottle
from .types import HealthCheck, RoomPart, SessionStore
from .ws.broadcaster import Broadcaster
from .ws.client_logs import ClientLogs
from .ws.greeter import Greeter
from .ws.messages import ClientMessages
from .ws.relay import Relay

log = logging.getLogger(__name__)

# How long shutdown waits for clients to answer our close frames.
SOCKET_DRAIN_TIMEOUT = 3.0


class Services:
    """Every part of the room, built from the configuration.

    ``overrides`` replaces what tests must not get from the machine, by name (nothing else may be
    swapped once built): ``members`` (a ``MemberProvider``), ``desktop_display`` (the X display
    the clipboard and uploads use, a callable), ``audio_source`` (the broadcast's sound, an
    ``AudioSource``), ``paste_text`` (what ``control/paste`` does with its text).
    """

    OVERRIDES = frozenset({"members", "desktop_display", "audio_source", "paste_text"})

    def __init__(self, config: Config, overrides: Mapping[str, Any] | None = None) -> None:
        given = dict(overrides or {})
        unknown = given.keys() - self.OVERRIDES
        if unknown:
            raise ValueError(f"Services: no such override: {sorted(unknown)}")
        self.config = config
        self.bus = EventBus()
        self.members = given.get("members") or create_provider(config.member)
        self.store = _session_store(config, self.bus)
        self.sessions = SessionManager(
            config.session, self.members, self.bus, store=self.store, backend=create_backend(config)
        )
        self.member_manager = MemberManager(self.members, self.sessions)
        self.broadcaster = Broadcaster(self.sessions)
        self.room = RoomManager(self.sessions)
        send_all = self.broadcaster.broadcast
        # CDP clients (automation) follow each start of the room's browser through its DevTools pipe.
        self.automation = Automation(self.sessions, self.room, send_all)
        # --- the desktop and what runs under it: its X server, its app, the sound the app plays into ---
        # The app plays into the PulseAudio the media capture from (ours, or capture.pulse.server), and
        # is restarted with it: Chromium never reconnects to a new sound server.
        self.audio_server = AudioServer(config.capture.pulse.server, on_restart=lambda: self.desktop.app.restart())
        self.desktop = DesktopManager(
            config.desktop,
            self.sessions,
            app_environment=lambda: _pulse_environment(self.audio_server.address()),
            on_devtools=self.automation.devtools.on_devtools,
        )
        self.media = build_media(config, self.sessions, self.desktop, self.audio_server)
        display: Callable[[], str | None] = given.get("desktop_display") or (lambda: self.desktop.display)
        self.clipboard = ClipboardManager(display, self.sessions)
        paste_text = given.get("paste_text") or self.clipboard.paste_text
        self.desktop_messages = DesktopMessages(self.sessions, self.room, self.desktop, send_all, paste_text)
        self.uploads = UploadManager(display, self.sessions, config.desktop, self.desktop.release_all_input)
        # --- broadcast and screencast: they find the X display through display_name ---
        capture = config.capture
        # The desktop's sound, where the app plays it.
        audio = given.get("audio_source") or PulseMonitor(server=self.audio_server.address)
        self.broadcast = BroadcastManager(capture.broadcast, self.display_name, self.sessions, audio)
        self.screencast = ScreencastManager(capture.screencast, self.display_name, self.sessions, self.bus)
        # Recordings mux the packets of the media's stages: they add no encoder.
        self.recording = RecordingManager(capture.recording, self.media.stages, self.sessions, self.display_name)
        # --- relays, client logs, plugins ---
        self.relay = Relay(self.sessions)
        self.plugins = Plugins(config, self.sessions, self.relay, self.desktop)
        # The room's parts, in Neko's order: what a connect sends comes in this order (ws/greeter.py),
        # they start in it and stop in reverse.
        self.parts: tuple[RoomPart, ...] = (
            self.desktop_messages,
            self.media,
            self.clipboard,
            self.uploads,
            self.broadcast,
            self.screencast,
            self.recording,
            self.relay,
            ClientLogs(),
            *self.plugins.all,
            self.automation,
        )
        self.client_messages = ClientMessages(self.sessions, self.room)
        for part in self.parts:
            self.client_messages.extend(dict(part.events()))
        self.greeter = Greeter(self.sessions, self.room, self.broadcaster, self.parts)
        # Neko's v2 WebSocket (/ws, with ``legacy``): v2 clients on this same room.
        v2_room = V2Room(
            self.sessions,
            self.room,
            self.member_manager,
            self.client_messages,
            self.desktop,
            self.broadcast,
            self.plugins.openinapp,
        )
        self.legacy = LegacyGateway(config, v2_room)
        self.metrics = Metrics(self.bus, self.sessions, [MediaMetrics(self.media)]) if config.server.metrics else None
        # Serving tasks of open WebSockets, so shutdown can wait for their goodbyes.
        self.sockets: set[asyncio.Task[None]] = set()
        # --- share links: guests logged in by a link's token ---
        self.links = ShareLinks(create_link_store(config), self.sessions, LoginThrottle(config.session.login_throttle))
        self.browser_profile = BrowserProfile(self.desktop.app, config.desktop.profile_max_size, config.desktop.enabled)
        tune_allocator()  # before the media's threads start: their arenas are what it limits
        self.memory = MemoryTrimmer()  # freed memory back to the system (the media's threads keep arenas)

    async def start(self) -> None:
        await self.sessions.state.start()
        await self.member_manager.start()
        self.broadcaster.start()
        self.sessions.start()
        await start_desktop_audio(self.audio_server, self.desktop)  # before the app, which plays into it
        self.audio_server.start()
        await self.desktop.start()
        await publish_desktop_audio(self.audio_server, self.desktop)
        for part in self.parts:  # after the desktop: an autostarted broadcast needs its display
            await part.startup()
        self.memory.start()

    async def stop(self) -> None:
        self.memory.stop()
        for part in reversed(self.parts):
            await part.shutdown()
        await self.desktop.stop()
        self.audio_server.stop()
        await self.sessions.stop()
        await self.broadcaster.stop()
        await self.member_manager.stop()
        await self.links.close()
        await self.sessions.state.stop()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def display_name(self) -> str | None:
        """The desktop's X display; None while it is down, or when the server has no desktop."""
        return self.desktop.display

    async def health(self) -> None:
        """Raises ``BackingStoreUnavailable`` naming the first store that does not answer, then
        ``DesktopUnavailable`` or ``AudioUnavailable`` while the X server or our PulseAudio is down."""
        for name, component in self._stores():
            try:
                await component.ping()
            except Exception as exc:
                log.warning("health: %s unreachable: %s", name, type(exc).__name__)
                raise errors.BackingStoreUnavailable(f"{name} unreachable") from None
        self.desktop.health()
        self.media.health()
        self.audio_server.health()

    def metrics_text(self) -> bytes:
        if self.metrics is None:
            raise errors.MetricsDisabled()
        return self.metrics.render()

    def _stores(self) -> list[tuple[str, HealthCheck]]:
        candidates = {
            "member provider": self.members,
            "session store": self.store,
            "redis": self.sessions.state.health_check(),
        }
        return [(name, c) for name, c in candidates.items() if hasattr(c, "ping")]  # type: ignore[misc]

    async def close_sockets(self, reason: str = reasons.SHUTDOWN) -> None:
        """Say goodbye on every open WebSocket and wait (briefly) until they are closed."""
        for session in self.sessions.connected():
            if session.peer is not None:
                session.peer.destroy(reason)
        pending = [t for t in self.sockets if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=SOCKET_DRAIN_TIMEOUT)


def _pulse_environment(server: str | None) -> dict[str, str]:
    return {"PULSE_SERVER": server} if server else {}


def _session_store(config: Config, bus: EventBus) -> SessionStore:
    if not config.session.file:  # the configuration refuses a file with session.store redis
        return MemorySessionStore()
    try:
        store = SqliteSessionStore(config.session.file)
    except (OSError, sqlite3.Error) as exc:
        raise errors.StoreUnusable(f"session.file: cannot open {config.session.file} ({exc})") from None
    bus.subscribe(ProfileChanged, lambda e: store.update(e.session))
    return store
