"""Turns domain events into WebSocket messages for every connected session (a connect's own
messages are the greeter's, ``greeter.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ..errors import NekoError
from ..events import (
    ControlRequested,
    HostChanged,
    ProfileChanged,
    SessionCreated,
    SessionDeleted,
    SettingsChanged,
    SocketMessage,
    StateChanged,
)
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from . import protocol
from .peer import Flusher
from .roster import Roster

log = logging.getLogger(__name__)


class Broadcaster:
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        self._heartbeat: asyncio.Task[None] | None = None
        bus = sessions.bus
        # Sockets of nekoapi serve get their frames written once per event-loop turn.
        self.flusher = Flusher(lambda count: bus.publish(SocketMessage("out", count)))
        self.roster = Roster(sessions)
        bus.subscribe(SessionCreated, self._on_created, remote=True)
        bus.subscribe(SessionDeleted, self._on_deleted, remote=True)
        bus.subscribe(ProfileChanged, self._on_profile, remote=True)
        bus.subscribe(StateChanged, self._on_state, remote=True)
        bus.subscribe(HostChanged, self._on_host, remote=True)
        bus.subscribe(SettingsChanged, self._on_settings, remote=True)
        bus.subscribe(ControlRequested, self._on_control_request, remote=True)

    def broadcast(self, event: str, payload: Any) -> None:
        recipients = self._sessions.peers()
        if recipients:
            frame = protocol.frame(event, payload)  # once, not once per socket
            for peer in recipients:
                peer.send_frame(frame)

    def _on_created(self, event: SessionCreated) -> None:
        self.roster.refresh(event.session.id)
        self.broadcast(protocol.SESSION_CREATED, event.session.data())

    def _on_deleted(self, event: SessionDeleted) -> None:
        self.roster.refresh(event.session.id)
        self.broadcast(protocol.SESSION_DELETED, {"id": event.session.id})

    def _on_profile(self, event: ProfileChanged) -> None:
        self.roster.refresh(event.session.id)
        self.broadcast(protocol.SESSION_PROFILE, {"id": event.session.id, **event.new.to_dict()})

    def _on_state(self, event: StateChanged) -> None:
        if not event.connect:  # a connect's state went out with its greeting
            self.state_changed(event.session)

    def state_changed(self, session: Session) -> None:
        """``session/state`` to everyone (a connect's comes from the greeter, in Neko's order)."""
        self.roster.refresh(session.id)
        self.broadcast(protocol.SESSION_STATE, {"id": session.id, **session.state.to_dict()})

    def _on_host(self, event: HostChanged) -> None:
        self.broadcast(protocol.CONTROL_HOST, {"id": event.changed_by, **self._sessions.host_status()})

    def _on_settings(self, event: SettingsChanged) -> None:
        self.broadcast(protocol.SYSTEM_SETTINGS, {"id": event.changed_by, **event.settings.to_dict()})

    def _on_control_request(self, event: ControlRequested) -> None:
        # Only the host is asked; nobody else learns about the request.
        with contextlib.suppress(NekoError):
            self._sessions.get(event.host_id).send(protocol.CONTROL_REQUEST, {"id": event.requested_by})

    # ---
    # heartbeat
    # ---

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._beat())

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(max(self._sessions.settings.heartbeat_interval, 1))
            self.broadcast(protocol.SYSTEM_HEARTBEAT, None)
