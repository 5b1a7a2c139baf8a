"""The room: its settings, who controls the desktop, and the server's statistics.

Permission rules follow Neko: controlling needs ``can_host``; in private mode
only administrators may control; locked controls keep non-administrators out;
with control protection on, controls lock while no administrator is connected.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import errors
from ..events import ControlRequested, SessionConnected, SessionDisconnected, SettingsChanged
from ..models import Settings, rfc3339
from .manager import SessionManager
from .session import Session

SETTINGS_FIELDS = frozenset(f.name for f in dataclasses.fields(Settings))


class RoomManager:
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        # Subscribed after the broadcaster, so a connecting admin gets system/init
        # before the system/settings that unlocks controls (Neko's order).
        sessions.bus.subscribe(SessionConnected, lambda e: self._on_connected(e.session))
        sessions.bus.subscribe(SessionDisconnected, lambda e: self._on_disconnected(e.session))
        settings = sessions.settings
        if settings.control_protection and not self._admin_connected():
            # Nobody is connected at start-up, so protection starts locked.
            sessions.settings = dataclasses.replace(settings, locked_controls=True)

    # ---
    # settings
    # ---

    @property
    def settings(self) -> Settings:
        return self._sessions.settings

    async def update_settings(self, caller: Session, changes: dict[str, Any]) -> None:
        # Like Neko, fields this server does not know are ignored (a newer client's), and
        # every accepted update is announced, even one that changes nothing.
        known = {name: value for name, value in changes.items() if name in SETTINGS_FIELDS}
        await self._sessions.backend.require()
        self._apply(caller.id, dataclasses.replace(self.settings, **known), announce_unchanged=True)
        await self._sessions.backend.flush()

    def _apply(self, changed_by: str, new: Settings, *, announce_unchanged: bool = False) -> None:
        old = self.settings
        if new == old and not announce_unchanged:
            return
        if new.control_protection and not old.control_protection and not self._admin_connected():
            new = dataclasses.replace(new, locked_controls=True)
        self._sessions.replace_settings(new, changed_by)
        host = self._host()
        if host is not None and not host.profile.is_admin and (new.locked_controls or new.private_mode):
            self._sessions.set_host(None, changed_by=changed_by)
        self._sessions.bus.publish(SettingsChanged(new, changed_by))

    def _on_connected(self, session: Session) -> None:
        settings = self.settings
        if session.profile.is_admin and settings.control_protection and settings.locked_controls:
            self._apply(session.id, dataclasses.replace(settings, locked_controls=False))

    def _on_disconnected(self, session: Session) -> None:
        settings = self.settings
        if not (session.profile.is_admin and settings.control_protection) or settings.locked_controls:
            return
        if not self._admin_connected():
            self._apply(session.id, dataclasses.replace(settings, locked_controls=True))

    def _admin_connected(self) -> bool:
        return self._sessions.stats.total_admins > 0

    # ---
    # control
    # ---

    def _host(self) -> Session | None:
        host_id = self._sessions.host_id
        if host_id is None:
            return None
        try:
            return self._sessions.get(host_id)
        except errors.SessionNotFound:
            return None

    def control_status(self, caller: Session) -> dict[str, Any]:
        self._check_may_host(caller)
        return self._sessions.host_status()

    async def request_control(self, caller: Session) -> bool:
        """Whether the caller hosts now; if not, the host has been asked (Neko's 202)."""
        self._check_may_host(caller)
        host_id = self._sessions.host_id
        if host_id == caller.id:
            return True
        if self.settings.locked_controls and not caller.profile.is_admin:
            raise errors.ControlsLocked()
        holder = host_id or await self._sessions.claim_host(caller)
        if holder is None:
            return True
        # Like Neko, the host hears about the request and decides.
        self._sessions.backend.control_requested(holder, caller.id)
        self._sessions.bus.publish(ControlRequested(holder, caller.id))
        return False

    async def release_control(self, caller: Session) -> None:
        self._check_may_host(caller)
        if self._sessions.host_id != caller.id:
            raise errors.NotHost()
        await self._change_host(None, changed_by=caller.id)

    async def _change_host(self, host: Session | None, *, changed_by: str) -> None:
        """Refused (503) while the shared store is away; written through before the caller is answered."""
        await self._sessions.backend.require()
        self._sessions.set_host(host, changed_by=changed_by)
        await self._sessions.backend.flush()

    async def take_control(self, caller: Session) -> None:
        self._check_may_host(caller)
        await self._change_host(caller, changed_by=caller.id)

    async def give_control(self, caller: Session, target_id: str) -> None:
        self._check_may_host(caller)
        if not caller.profile.is_admin and self._sessions.host_id != caller.id:
            raise errors.HostOrAdminRequired()
        try:
            target = await self._sessions.find(target_id)
        except errors.SessionNotFound:
            raise errors.TargetNotFound() from None
        if not target.profile.can_host or self._private_for(target):
            raise errors.TargetCannotHost()
        await self._change_host(target, changed_by=caller.id)

    async def reset_control(self, caller: Session) -> None:
        self._check_may_host(caller)
        await self._change_host(None, changed_by=caller.id)

    def _check_may_host(self, session: Session) -> None:
        if not session.profile.can_host:
            raise errors.CannotHost()
        if self._private_for(session):
            raise errors.PrivateModeEnabled()

    def _private_for(self, session: Session) -> bool:
        return self.settings.private_mode and not session.profile.is_admin

    # ---
    # statistics
    # ---

    def stats(self) -> dict[str, Any]:
        stats = self._sessions.stats
        body: dict[str, Any] = {
            **self._sessions.host_status(),
            "server_started_at": rfc3339(stats.server_started_at),
            "total_users": stats.total_users,
            "total_admins": stats.total_admins,
        }
        if stats.last_user_left_at is not None:
            body["last_user_left_at"] = rfc3339(stats.last_user_left_at)
        if stats.last_admin_left_at is not None:
            body["last_admin_left_at"] = rfc3339(stats.last_admin_left_at)
        return body
