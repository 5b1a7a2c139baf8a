"""The one owner of the room's shared state: sessions, the host, the settings and the stats.

Every worker holds a replica of that state in memory and answers reads from it. A change
is one method here that writes the replica, hands the change to the state backend (which
makes it shared and tells the other workers) and announces it on the event bus, once.
Changes another worker made arrive through the backend, which applies them with the
``apply_*`` methods: nothing outside this class assigns the replica's fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from ..events import (
    ControlRequested,
    Delivered,
    HostChanged,
    ProfileChanged,
    SessionConnected,
    SessionCreated,
    SessionDeleted,
    SessionDisconnected,
    SettingsChanged,
    StateChanged,
)
from ..models import MemberProfile, SessionState, Settings
from ..types import HealthCheck, Peer, SessionStore
from . import reasons, rules
from .backend import StateBackend
from .session import Session


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass
class Stats:
    server_started_at: datetime
    total_users: int = 0
    total_admins: int = 0
    last_user_left_at: datetime | None = None
    last_admin_left_at: datetime | None = None


class LocalSockets(Protocol):
    """The sockets this worker holds (the session manager): a remote change may close one."""

    def close_peer(self, session: Session, reason: str) -> None: ...

    def release_peer(self, session: Session) -> Peer | None: ...


class Replica:
    def __init__(
        self,
        settings: Settings,
        bus: Any,
        store: SessionStore,
        backend: StateBackend,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bus = bus
        self.sessions = store
        self.settings = settings
        self.host_id: str | None = None
        self.stats = Stats(server_started_at=clock())
        self._clock = clock
        self._backend = backend
        self._sockets: LocalSockets | None = None
        backend.attach(self)

    def attach_sockets(self, sockets: LocalSockets) -> None:
        self._sockets = sockets

    # ---
    # lifecycle and acknowledgement
    # ---

    async def start(self) -> None:
        await self._backend.start()

    async def stop(self) -> None:
        await self._backend.stop()

    @property
    def backend(self) -> StateBackend:
        """Which backend shares the state (for inspection; changes go through the methods here)."""
        return self._backend

    def health_check(self) -> HealthCheck | None:
        """The shared store behind the replica, when it can be unreachable."""
        return self._backend if hasattr(self._backend, "ping") else None  # type: ignore[return-value]

    async def require(self) -> None:
        """Raises ``BackingStoreUnavailable`` when changes cannot be made shared now."""
        await self._backend.require()

    async def flush(self) -> None:
        """Returns when every change made so far is stored and shared; raises ``BackingStoreUnavailable``."""
        await self.sessions.flush()
        await self._backend.flush()

    async def load(self, session_id: str) -> Session | None:
        """A session another worker created a moment ago (None when there is none)."""
        return self.sessions.get(session_id) or await self._backend.load(session_id)

    async def load_by_token(self, token: str) -> Session | None:
        return self.sessions.by_token(token) or await self._backend.load_by_token(token)

    # ---
    # sessions
    # ---

    def add(self, session: Session) -> None:
        self.sessions.add(session)
        self._backend.put_session(session)
        self.bus.publish(SessionCreated(session))

    async def end(self, session: Session) -> None:
        """Delete the session everywhere before this worker forgets it; raises (changing nothing)
        ``BackingStoreUnavailable`` when that cannot be done now."""
        await self._backend.end_session(session)

    def remove(self, session: Session, *, shared: bool = False) -> None:
        """``shared``: deleted everywhere already (``end``)."""
        session.cancel_grace()
        if self.host_id == session.id:
            self.set_host(None, changed_by=session.id)
        self.sessions.remove(session)
        if not shared:
            self._backend.delete_session(session)
        self.bus.publish(SessionDeleted(session))

    def set_profile(self, session: Session, profile: MemberProfile) -> bool:
        """False when nothing changed."""
        old = session.profile
        if old == profile:
            return False
        if session.state.is_connected and old.is_admin != profile.is_admin:
            self._count(old, -1)
            self._count(profile, +1)
        session.profile = profile
        self._backend.put_profile(session)
        self.bus.publish(ProfileChanged(session, old, profile))
        if not profile.can_host and self.host_id == session.id:
            self.set_host(None, changed_by=session.id)
        return True

    def set_connected(self, session: Session) -> None:
        state = session.state
        state.is_connected = True
        state.connected_since = self._clock()
        state.not_connected_since = None
        self._count(session.profile, +1)
        self._backend.put_state(session, "connected")
        self.bus.publish(SessionConnected(session))
        self.bus.publish(StateChanged(session, connect=True))

    def set_disconnected(self, session: Session) -> None:
        state = session.state
        state.is_connected = False
        state.connected_since = None
        state.not_connected_since = self._clock()
        self._count(session.profile, -1)
        self._backend.put_state(session, "disconnected")
        if self.host_id == session.id:
            self.set_host(None, changed_by=session.id)
        self.bus.publish(SessionDisconnected(session))
        self.bus.publish(StateChanged(session))

    def set_watching(self, session: Session, watching: bool) -> None:
        state = session.state
        if state.is_watching == watching:
            return
        state.is_watching = watching
        now = utcnow()
        state.watching_since = now if watching else None
        state.not_watching_since = None if watching else now
        self._backend.put_state(session, None)
        self.bus.publish(StateChanged(session))

    def reconnected(self, session: Session) -> None:
        """A new socket replaced the session's socket: it stays connected, and the new one needs init."""
        self.bus.publish(SessionConnected(session, replaced=True))

    def _count(self, profile: MemberProfile, delta: int) -> None:
        self._backend.count(profile.is_admin, delta)
        stats = self.stats
        if profile.is_admin:
            stats.total_admins += delta
            stats.last_admin_left_at = self._clock() if stats.total_admins == 0 and delta < 0 else None
        else:
            stats.total_users += delta
            stats.last_user_left_at = self._clock() if stats.total_users == 0 and delta < 0 else None

    # ---
    # the host and the settings
    # ---

    def host_status(self) -> dict[str, Any]:
        """``ControlStatus``: the shape of the REST answer, of stats and of ``control/host``."""
        host_id = self.host_id
        return {"has_host": True, "host_id": host_id} if host_id else {"has_host": False}

    def set_host(self, host_id: str | None, *, changed_by: str) -> None:
        if host_id == self.host_id:
            return
        self.host_id = host_id
        self._backend.put_host(host_id, changed_by)
        self.bus.publish(HostChanged(host_id, changed_by))

    async def claim_host(self, session_id: str) -> str | None:
        """Make ``session_id`` the host unless someone is; returns that someone.
        Atomic across workers: of two simultaneous claims exactly one wins."""
        holder = await self._backend.claim_host(session_id)
        if holder is not None:
            return holder
        if self.host_id != session_id:
            self.host_id = session_id  # the backend already shared it
            self.bus.publish(HostChanged(session_id, session_id))
        return None

    def ask_host(self, host_id: str, requested_by: str) -> None:
        """Tell the host, on whichever worker holds its socket, that someone asks for control."""
        self._backend.control_requested(host_id, requested_by)
        self.bus.publish(ControlRequested(host_id, requested_by))

    def set_settings(self, settings: Settings, changed_by: str) -> None:
        """A host who may not keep control under the new settings loses it (before the settings are told)."""
        self.settings = settings
        self._backend.put_settings(settings, changed_by)
        host = self.sessions.get(self.host_id) if self.host_id is not None else None
        if host is not None and not rules.keeps_control(host.profile, settings):
            self.set_host(None, changed_by=changed_by)
        self.bus.publish(SettingsChanged(settings, changed_by))

    def seed_settings(self, settings: Settings) -> None:
        """The settings at start-up, before anyone is connected (nothing to tell)."""
        self.settings = settings

    # ---
    # sockets on other workers
    # ---

    def close_remote(self, session_id: str, reason: str, *, replaced: bool = False) -> None:
        self._backend.close_remote(session_id, reason, replaced=replaced)

    def deliver(self, event: str, payload: Any, to: tuple[str, ...] | None, exclude: str | None) -> None:
        self._backend.deliver(event, payload, to, exclude)

    # ---
    # changes other workers made, applied by the backend (told to this worker's clients only)
    # ---

    def apply_session(self, session: Session) -> Session:
        """A login; the session the replica holds for it afterwards."""
        current = self.sessions.get(session.id)
        if current is not None and current.token_digest == session.token_digest:
            return current  # our own login coming back, or one already loaded
        self._replace(current, session)
        self.bus.publish_remote(SessionCreated(session))
        return session

    def apply_deleted(self, session_id: str, digest: bytes) -> None:
        current = self.sessions.get(session_id)
        if current is not None and current.token_digest == digest:
            self._replace(current, None)
            self.bus.publish_remote(SessionDeleted(current))

    def apply_profile(self, session_id: str, profile: MemberProfile) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            old, session.profile = session.profile, profile
            self.bus.publish_remote(ProfileChanged(session, old, profile))

    def apply_state(self, session_id: str, state: SessionState) -> None:
        session = self.sessions.get(session_id)
        if session is not None and session.peer is None:  # a worker with the socket knows better
            session.state = state
            self.bus.publish_remote(StateChanged(session))

    def apply_stats(self, counters: Mapping[str, Any]) -> None:
        stats = self.stats
        stats.total_users = int(counters.get("total_users", 0))
        stats.total_admins = int(counters.get("total_admins", 0))
        stats.last_user_left_at = counters.get("last_user_left_at")
        stats.last_admin_left_at = counters.get("last_admin_left_at")
        stats.server_started_at = counters.get("server_started_at") or stats.server_started_at

    def apply_host(self, host_id: str | None, changed_by: str) -> None:
        if self.host_id != host_id:
            self.host_id = host_id
            self.bus.publish_remote(HostChanged(host_id, changed_by))

    def apply_settings(self, settings: Settings, changed_by: str) -> None:
        self.settings = settings
        self.bus.publish_remote(SettingsChanged(settings, changed_by))

    def apply_control_request(self, host_id: str, requested_by: str) -> None:
        self.bus.publish_remote(ControlRequested(host_id, requested_by))

    def apply_close(self, session_id: str, reason: str, *, replaced: bool) -> None:
        session = self.sessions.get(session_id)
        if session is None or session.peer is None or self._sockets is None:
            return  # the socket is on another worker
        if replaced:
            # The session stays connected, through the worker that took the new socket.
            peer = self._sockets.release_peer(session)
            if peer is not None:
                peer.destroy(reason)
        else:
            self._sockets.close_peer(session, reason)

    def apply_delivery(self, delivery: Delivered) -> None:
        self.bus.publish_remote(delivery)

    def reconcile(self, shared: Mapping[str, Session], host_id: str | None, settings: Settings) -> None:
        """Make the replica equal to the shared state, telling this worker's clients what changed
        (after an outage they missed the other workers' events)."""
        for current in list(self.sessions.all()):
            if current.id not in shared:
                self.apply_deleted(current.id, current.token_digest)
        for session in shared.values():
            current = self.sessions.get(session.id)
            if current is None or current.token_digest != session.token_digest:
                self.apply_session(session)
                continue
            if current.profile != session.profile:
                self.apply_profile(session.id, session.profile)
            if current.state != session.state:
                self.apply_state(session.id, session.state)
        if self.host_id != host_id:
            self.apply_host(host_id, host_id or self.host_id or "")
        if self.settings != settings:
            self.apply_settings(settings, "")

    def _replace(self, current: Session | None, new: Session | None) -> None:
        """Swap a session of the replica; a socket of the old login here is closed as deleted."""
        if current is not None:
            if current.peer is not None and self._sockets is not None:
                self._sockets.close_peer(current, reasons.DELETED)
            current.cancel_grace()
            self.sessions.remove(current)
        if new is not None:
            self.sessions.add(new)

    def all(self) -> Iterable[Session]:
        return self.sessions.all()
