"""The hand-over between agents driving the room's browser (CDP clients) and the humans in the room.

An agent (a session with ``can_automate``) asks for a human with a message; the sessions that may
host see it (``automation/handover``). A human takes the browser over: they get control of the
desktop, and the agents' input (the CDP ``Input`` domain) is refused until they give it back. The
state goes to every connected session as ``automation/status`` whenever it changes, and to each
session that connects while it is not the default (nothing asked, nobody took over).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from .. import errors
from ..events import ProfileChanged, SessionDeleted
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from ..types import RoomPart
from .cdp import DevTools

AUTOMATION_HANDOVER = "automation/handover"
AUTOMATION_STATUS = "automation/status"
INPUT_PAUSED = (
    "input refused: a human has taken over the room's browser (nekoapi hand-over); "
    "it is accepted again once they give control back (GET /api/room/automation: paused false)"
)


class Automation(RoomPart):
    def __init__(
        self,
        sessions: SessionManager,
        room: RoomManager,
        send_all: Callable[[str, Any], None],
    ) -> None:
        self._sessions, self._room, self._send_all = sessions, room, send_all
        self.devtools = DevTools(self.gate)
        self.devtools.on_clients = self._announce
        self.paused_by: str | None = None
        self.handover: dict[str, str] | None = None
        bus = sessions.bus
        bus.subscribe(SessionDeleted, lambda e: self._gone(e.session))
        bus.subscribe(ProfileChanged, self._on_profile)

    def gate(self) -> str | None:
        """Why an agent's input is refused now; None while it is accepted."""
        return INPUT_PAUSED if self.paused_by is not None else None

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"paused": self.paused_by is not None, "agents": len(self.devtools.routes())}
        if self.paused_by is not None:
            body["paused_by"] = self.paused_by
        if self.handover is not None:
            body["handover"] = dict(self.handover)
        return body

    @staticmethod
    def require_agent(session: Session) -> None:
        if not session.profile.can_automate:
            raise errors.AutomationForbidden()

    async def ask(self, caller: Session, message: str) -> None:
        self.require_agent(caller)
        self.handover = {"id": caller.id, "message": message}
        for session in self._sessions.connected():
            if session.profile.can_host:
                session.send(AUTOMATION_HANDOVER, dict(self.handover))
        self._announce()

    async def take(self, caller: Session) -> None:
        """The caller takes the browser over: control of the desktop, and the agents paused."""
        if caller.profile.is_admin:
            await self._room.take_control(caller)
        elif not await self._room.request_control(caller):
            raise errors.ControlHeld()
        self.paused_by, self.handover = caller.id, None
        self._announce()

    async def give_back(self, caller: Session) -> None:
        if self.paused_by is None:
            raise errors.NotTakenOver()
        if caller.id != self.paused_by and not caller.profile.is_admin:
            raise errors.GiveBackForbidden()
        if self._sessions.host_id == caller.id:
            with contextlib.suppress(errors.NekoError):
                await self._room.release_control(caller)
        self.paused_by = None
        self._announce()

    # --- reactions ---

    def _announce(self) -> None:
        self._send_all(AUTOMATION_STATUS, self.status())

    def greet(self, session: Session) -> None:
        if self.paused_by is not None or self.handover is not None:
            session.send(AUTOMATION_STATUS, self.status())

    async def shutdown(self) -> None:
        await self.devtools.stop()

    def _gone(self, session: Session) -> None:
        self._close_agents(session.id, "session deleted")
        changed = False
        if self.paused_by == session.id:  # nobody is left to give it back
            self.paused_by, changed = None, True
        if self.handover is not None and self.handover["id"] == session.id:
            self.handover, changed = None, True
        if changed:
            self._announce()

    def _on_profile(self, event: ProfileChanged) -> None:
        if not event.new.can_automate or not event.new.can_login:
            self._close_agents(event.session.id, "profile changed")

    def _close_agents(self, session_id: str, reason: str) -> None:
        for route in self.devtools.routes():
            if route.owner == session_id:
                route.client.close(reason)
