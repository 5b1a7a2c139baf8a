"""The session manager: logins, lookups, forced disconnects, and the sockets this worker holds.

The shared state (sessions, host, settings, stats) belongs to the replica (``replica.py``),
which writes, replicates and announces every change; the WebSocket broadcaster, metrics and
persistence listen on the event bus instead of being called from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .. import errors
from ..config import SessionConfig
from ..events import EventBus, LoginAttempted
from ..models import API_SESSION_ID, PROFILE_FIELDS, MemberProfile, Settings, is_guest_id, reserved_member_id
from ..throttle import LoginThrottle
from ..tokens import new_token, token_digest
from ..types import MemberProvider, Peer, SessionStore
from . import reasons
from .backend import LocalBackend, StateBackend
from .memory_store import MemorySessionStore
from .replica import Replica, Stats, utcnow
from .session import Session

__all__ = ["API_PROFILE", "SessionManager", "Stats", "utcnow"]

# The API token's session, with Neko's profile for it: an administrator that may watch (screenshots,
# the screencast), host and use the clipboard, but never has a WebSocket, media or cursors of its own.
API_PROFILE = MemberProfile(
    name="API Session",
    is_admin=True,
    can_connect=False,
    can_share_media=False,
    sends_inactive_cursor=False,
)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class SessionManager:
    def __init__(
        self,
        config: SessionConfig,
        members: MemberProvider,
        bus: EventBus,
        store: SessionStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        backend: StateBackend | None = None,
    ) -> None:
        settings = Settings(
            **{f.name: getattr(config, f.name) for f in dataclasses.fields(Settings) if f.name != "plugins"}
        )
        self.bus = bus
        self._members = members
        self._store: SessionStore = store if store is not None else MemorySessionStore()
        # The one writer of the shared state; the backend shares its changes with other workers.
        self.state = Replica(settings, bus, self._store, backend if backend is not None else LocalBackend(), clock)
        self.state.attach_sockets(self)
        self._clock = clock
        self._grace = config.reconnect_grace
        self._expiry = config.disconnected_expiry
        self._sweeper: asyncio.Task[None] | None = None
        self._throttle = LoginThrottle(config.login_throttle)
        self._api_token = config.api_token
        self._api_session = Session(API_SESSION_ID, b"", API_PROFILE, is_api=True)
        # Sessions with a socket on this worker, kept as sockets come and go: every
        # broadcast needs them, and scanning all sessions for them is O(sessions).
        self._connected: dict[Session, Peer] = {}

    # ---
    # the shared state, as the replica holds it (read-only here: changes go through ``state``)
    # ---

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def host_id(self) -> str | None:
        return self.state.host_id

    @property
    def stats(self) -> Stats:
        return self.state.stats

    # ---
    # lookups
    # ---

    def get(self, session_id: str) -> Session:
        session = self._store.get(session_id)
        if session is None:
            raise errors.SessionNotFound()
        return session

    @property
    def replica(self) -> SessionStore:
        """This process's sessions; the replica keeps them in step with the other workers."""
        return self._store

    def close_peer(self, session: Session, reason: str) -> None:
        """Close the session's socket here, as a forced disconnect (for a change relayed from another worker)."""
        self._destroy_peer(session, reason)

    async def find(self, session_id: str) -> Session:
        """Like ``get``, but also finds a session another worker created a moment ago."""
        session = await self.state.load(session_id)
        if session is None:
            raise errors.SessionNotFound()
        return session

    def list(self) -> list[Session]:
        return list(self._store.all())

    def session_count(self) -> int:
        return len(self._store)

    def connected(self) -> list[Session]:
        return list(self._connected)

    def peers(self) -> list[Peer]:
        """The sockets of ``connected()``: what a broadcast goes to."""
        return list(self._connected.values())

    async def authenticate(self, token: str) -> Session:
        """The session a token belongs to; raises unless it may use the API."""
        session = await self.state.load_by_token(token)
        if (
            session is None
            and self._api_token
            and hmac.compare_digest(self._api_token.encode(), token.encode("utf-8", "surrogatepass"))
        ):
            session = self._api_session
        if session is None:
            raise errors.NotAuthenticated()
        if not session.profile.can_login:
            raise errors.LoginDisabled()
        return session

    # ---
    # login, logout, removal
    # ---

    async def login(self, username: str, password: str, address: str | None = None) -> tuple[Session, str]:
        """``address`` is the client's, for the brute-force throttle."""
        try:
            result = await self._login(username, password, address)
        except errors.NekoError as exc:
            self.bus.publish(LoginAttempted(_snake_case(type(exc).__name__)))
            raise
        self.bus.publish(LoginAttempted("success"))
        return result

    async def _login(self, username: str, password: str, address: str | None) -> tuple[Session, str]:
        member_id, profile = await self.check_password(username, password, address)
        await self.state.require()
        existing = self._store.get(member_id)
        if existing is not None:
            if existing.state.is_connected:
                raise errors.SessionAlreadyConnected()
            self._forget(existing)
        session, token = self._create(member_id, profile)
        await self.state.flush()  # the token works on every worker before the client has it
        await self._confirm(session)
        return session, token

    async def check_password(
        self, username: str, password: str, address: str | None = None
    ) -> tuple[str, MemberProfile]:
        """The member id and profile a login would get, checked as a login is (the throttle, reserved
        ids, ``can_login``, locked logins) but without a session: Neko v2's ``?pwd=`` requests."""
        # Counted as a failure before the (slow) password check, so that concurrent guesses
        # cannot all pass the throttle while none has failed yet; a success takes it back.
        self._throttle.begin(address, username)
        try:
            member_id, profile = await self._members.authenticate(username, password)
        except errors.InvalidCredentials:
            raise
        except BaseException:
            self._throttle.refund(address, username)  # not a guess that failed (a store outage)
            raise
        self._throttle.succeeded(address, username)
        if reserved_member_id(member_id):
            raise errors.ReservedMemberId(errors.ReservedMemberId.guests if is_guest_id(member_id) else None)
        self._admit(profile)
        return member_id, profile

    async def open_guest(self, session_id: str, profile: MemberProfile) -> tuple[Session, str]:
        """A session that is no member's (a share link's guest), admitted by the room's rules."""
        self._admit(profile)
        await self.state.require()
        session, token = self._create(session_id, profile)
        await self.state.flush()  # the token works on every worker before the client has it
        self.bus.publish(LoginAttempted("success"))
        return session, token

    def admit(self, profile: MemberProfile) -> None:
        """Raises unless a session of ``profile`` may log in now (``can_login``, locked logins)."""
        self._admit(profile)

    def _admit(self, profile: MemberProfile) -> None:
        if not profile.can_login:
            raise errors.LoginDisabled()
        if self.settings.locked_logins and not profile.is_admin:
            raise errors.LoginsLocked()

    async def _confirm(self, session: Session) -> None:
        """Read the member again now that its session exists: a removal or profile change made
        while the password was being checked found no session to apply to, so it applies here.
        (One made from now on finds the session, on any worker.)"""
        try:
            current = await self._members.select(session.id)
        except errors.MemberOperationUnsupported:
            return  # a provider without stored members: nothing can have changed
        except errors.MemberNotFound:
            await self._undo(session)
            raise errors.InvalidCredentials() from None
        except BaseException:
            await self._undo(session)
            raise
        try:
            self._admit(current)
        except errors.NekoError:
            await self._undo(session)
            raise
        if current != session.profile:
            self._apply_profile(session, current)
            await self.state.flush()

    async def _undo(self, session: Session) -> None:
        await self._end(session)

    def _create(self, session_id: str, profile: MemberProfile) -> tuple[Session, str]:
        token = new_token()
        session = Session(session_id, token_digest(token), profile)
        self.state.add(session)
        return session, token

    async def logout(self, session: Session) -> None:
        if session.is_api:
            raise errors.CannotLogout("the API session cannot log out")
        await self._end(session)

    async def remove(self, caller: Session, session_id: str) -> None:
        session = await self.find(session_id)
        if session is caller:
            raise errors.CannotDeleteOwnSession()
        await self._end(session)

    async def delete(self, session_id: str) -> None:
        await self._end(await self.find(session_id))

    async def _end(self, session: Session) -> None:
        """Final once it returns, on every worker; when it raises, nothing changed."""
        await self.state.require()
        await self.state.end(session)
        self._destroy_peer(session, reasons.DELETED)
        self._forget(session, shared=True)
        # What follows from it (host released, counters) is on its way; a slow Redis
        # does not turn the ended session into a 503.
        with contextlib.suppress(errors.BackingStoreUnavailable):
            await self.state.flush()

    def _forget(self, session: Session, *, shared: bool = False) -> None:
        """``shared``: the backend deleted it already (``end_session``)."""
        if session.is_api or self._store.get(session.id) is not session:
            return
        self.state.remove(session, shared=shared)

    async def disconnect(self, session_id: str) -> None:
        """Close the session's WebSocket; the session and its token remain."""
        session = await self.find(session_id)
        await self.state.require()
        self._destroy_peer(session, reasons.DISCONNECTED)
        await self.state.flush()

    # ---
    # expiry: sessions nobody uses are not kept for ever
    # ---

    def start(self) -> None:
        if self._expiry > 0:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def _sweep_forever(self) -> None:
        # Checked a few times per expiry period (at most once a minute): a session outlives
        # its expiry by at most a quarter of it.
        while True:
            await asyncio.sleep(min(self._expiry / 4, 60.0))
            await self.expire()

    async def expire(self) -> int:
        """Remove the sessions without a socket for longer than ``session.disconnected_expiry``."""
        stale = [s for s in self._store.all() if not s.state.is_connected and self._idle(s) > self._expiry]
        for session in stale:
            with contextlib.suppress(errors.BackingStoreUnavailable):  # tried again next round
                await self._end(session)
        return len(stale)

    def _idle(self, session: Session) -> float:
        """Seconds without a socket: since the last one closed (on any worker), else since the login."""
        since = session.state.not_connected_since
        if since is not None:
            return (self._clock() - since).total_seconds()
        return time.monotonic() - session.created

    # ---
    # profiles
    # ---

    async def update_profile(self, session_id: str, profile: MemberProfile) -> None:
        session = await self.find(session_id)
        await self.state.require()
        self._apply_profile(session, profile)
        await self.state.flush()

    async def change_own_profile(self, caller: Session, changes: dict[str, Any]) -> None:
        if caller.is_api:
            raise errors.ApiProfileFixed()  # what the API token may do is fixed, by the configuration
        current = caller.profile
        if not current.is_admin:
            # Unknown fields are ignored (merged drops them), as Neko does: they cannot be forbidden.
            forbidden = [k for k, v in changes.items() if k in PROFILE_FIELDS - {"name"} and getattr(current, k) != v]
            if forbidden:
                raise errors.ProfileChangeForbidden()
        await self.state.require()
        self._apply_profile(caller, current.merged(changes))
        await self.state.flush()

    def _apply_profile(self, session: Session, profile: MemberProfile) -> None:
        if self.state.set_profile(session, profile) and not (profile.can_login and profile.can_connect):
            self._destroy_peer(session, reasons.PROFILE_CHANGED)

    # ---
    # websocket
    # ---

    def connect(self, session: Session, peer: Peer) -> bool:
        """Attach a new socket to the session; False when it was refused (and closed)."""
        if not session.profile.can_connect:
            peer.destroy(reasons.CONNECTION_DISABLED)
            return False
        if session.state.is_connected and not self.settings.merciful_reconnect:
            peer.destroy(reasons.ALREADY_CONNECTED)
            return False
        session.cancel_grace()
        previous, session.peer = session.peer, peer
        self._connected[session] = peer
        if previous is not None:
            previous.destroy(reasons.REPLACED)
        else:
            # A socket on another worker (our copy may not know of it yet) is replaced too;
            # that worker closes it and leaves the session's state to us.
            self.state.close_remote(session.id, reasons.REPLACED, replaced=True)
        if not session.state.is_connected:
            self.state.set_connected(session)
        else:
            self.state.reconnected(session)
        return True

    def peer_closed(self, session: Session, peer: Peer, *, abnormal: bool) -> None:
        """The client side of ``peer`` went away; abnormal closes wait for a reconnect."""
        if session.peer is not peer:
            return
        if abnormal and self._grace > 0:
            session.cancel_grace()
            loop = asyncio.get_running_loop()
            session.grace_timer = loop.call_later(self._grace, self._grace_expired, session, peer)
            return
        self._detach(session)

    def kick(self, session: Session, peer: Peer, reason: str) -> None:
        """Close ``peer`` for misbehaving; the session stays, as after a forced disconnect."""
        if session.peer is peer:
            self._destroy_peer(session, reason)

    def _grace_expired(self, session: Session, peer: Peer) -> None:
        session.grace_timer = None
        if session.peer is peer:
            self._detach(session)

    def _destroy_peer(self, session: Session, reason: str) -> None:
        peer = session.peer
        if peer is None:
            # Perhaps on another worker; asked even when our copy says disconnected, since
            # that copy may not have heard of the connect yet.
            self.state.close_remote(session.id, reason)
            return
        # The goodbye is queued before the state change is broadcast, so the closing
        # client is not kept waiting behind an event sent to everyone else.
        peer.destroy(reason)
        self._detach(session)

    def release_peer(self, session: Session) -> Peer | None:
        """Take the socket away from a session that stays connected elsewhere (another worker)."""
        peer, session.peer = session.peer, None
        self._connected.pop(session, None)
        session.cancel_grace()
        return peer

    def _detach(self, session: Session) -> None:
        session.cancel_grace()
        session.peer = None
        self._connected.pop(session, None)
        if session.state.is_connected:
            self.state.set_disconnected(session)

    # ---
    # host
    # ---

    def host_status(self) -> dict[str, Any]:
        """``ControlStatus``: the shape of the REST answer, of stats and of ``control/host``."""
        return self.state.host_status()
