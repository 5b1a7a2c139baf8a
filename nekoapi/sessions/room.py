"""The room: its settings, who controls the desktop, and the server's statistics.

The permission rules are ``rules.py``'s; with control protection on, controls lock while
no administrator is connected. Every change goes through the replica (``replica.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import errors
from ..events import SessionDisconnected
from ..models import Settings, rfc3339
from . import rules
from .manager import SessionManager
from .session import Session

SETTINGS_FIELDS = frozenset(f.name for f in dataclasses.fields(Settings))


class RoomManager:
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        sessions.bus.subscribe(SessionDisconnected, lambda e: self._on_disconnected(e.session))
        settings = sessions.settings
        if settings.control_protection and not self._admin_connected():
            # Nobody is connected at start-up, so protection starts locked.
            sessions.state.seed_settings(dataclasses.replace(settings, locked_controls=True))

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
        await self._sessions.state.require()
        self._apply(caller.id, dataclasses.replace(self.settings, **known), announce_unchanged=True)
        await self._sessions.state.flush()

    def _apply(self, changed_by: str, new: Settings, *, announce_unchanged: bool = False) -> None:
        old = self.settings
        if new == old and not announce_unchanged:
            return
        if new.control_protection and not old.control_protection and not self._admin_connected():
            new = dataclasses.replace(new, locked_controls=True)
        self._sessions.state.set_settings(new, changed_by)

    def admin_arrived(self, session: Session) -> None:
        """Control protection: a connecting administrator unlocks the controls (after its
        ``system/init``: the greeter, ``ws/greeter.py``, calls this in Neko's order)."""
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

    def control_status(self, caller: Session) -> dict[str, Any]:
        self._check_may_host(caller)
        return self._sessions.host_status()

    async def request_control(self, caller: Session) -> bool:
        """Whether the caller hosts now; if not, the host has been asked (Neko's 202)."""
        self._check_may_host(caller)
        host_id = self._sessions.host_id
        if host_id == caller.id:
            return True
        if rules.controls_locked_for(caller.profile, self.settings):
            raise errors.ControlsLocked()
        holder = host_id or await self._sessions.state.claim_host(caller.id)
        if holder is None:
            return True
        # Like Neko, the host hears about the request and decides.
        self._sessions.state.ask_host(holder, caller.id)
        return False

    async def control_by_input(self, session: Session) -> bool:
        """Neko's implicit control request before a client's input: whether ``session`` hosts now.
        Without implicit hosting a held control is only asked for, and the input dropped."""
        settings, profile, host_id = self.settings, session.profile, self._sessions.host_id
        if not rules.may_host(profile, settings):
            return False
        if host_id == session.id:
            return True
        if rules.controls_locked_for(profile, settings):
            return False
        if settings.implicit_hosting or host_id is None:
            await self.take_control(session)
            return True
        self._sessions.state.ask_host(host_id, session.id)
        return False

    async def release_control(self, caller: Session) -> None:
        self._check_may_host(caller)
        if self._sessions.host_id != caller.id:
            raise errors.NotHost()
        await self._change_host(None, changed_by=caller.id)

    async def _change_host(self, host: Session | None, *, changed_by: str) -> None:
        """Refused (503) while the shared store is away; written through before the caller is answered."""
        state = self._sessions.state
        await state.require()
        state.set_host(host.id if host is not None else None, changed_by=changed_by)
        await state.flush()

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
        if not rules.may_host(target.profile, self.settings):
            raise errors.TargetCannotHost()
        await self._change_host(target, changed_by=caller.id)

    async def reset_control(self, caller: Session) -> None:
        self._check_may_host(caller)
        await self._change_host(None, changed_by=caller.id)

    def _check_may_host(self, session: Session) -> None:
        rules.check_may_host(session, self.settings)

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
