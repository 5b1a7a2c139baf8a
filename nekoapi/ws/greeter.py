"""What a connecting socket is told, in Neko's order (its websocket handler, then its plugins):

1. ``system/init``: the room as the session finds it, with what every part adds;
2. ``system/admin`` to administrators, with what every part adds;
3. control protection: an administrator's arrival unlocks the controls (``system/settings``);
4. the connect's ``session/state``, to everyone (a socket that replaced another changes no state);
5. each part's own greeting (chat, file transfer, open in app, automation, the file chooser), in
   the order of the parts' list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..events import SessionConnected
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from ..types import RoomPart
from . import protocol
from .broadcaster import Broadcaster

log = logging.getLogger(__name__)


class Greeter:
    def __init__(
        self, sessions: SessionManager, room: RoomManager, broadcaster: Broadcaster, parts: Sequence[RoomPart]
    ) -> None:
        self._sessions = sessions
        self._room = room
        self._broadcaster = broadcaster
        self._parts = tuple(parts)
        sessions.bus.subscribe(SessionConnected, self._on_connected, remote=True)

    def _on_connected(self, event: SessionConnected) -> None:
        session = event.session
        steps: list[Callable[[Session], None]] = [self._init, self._admin, self._room.admin_arrived]
        if not event.replaced:
            steps.append(self._broadcaster.state_changed)
        for step in [*steps, *(part.greet for part in self._parts)]:
            try:  # one step that fails leaves the others to be sent
                step(session)
            except Exception:
                log.exception("greeting session %s failed", session.id)

    def _init(self, session: Session) -> None:
        roster = self._broadcaster.roster
        roster.refresh(session.id)
        if session.peer is not None:
            # The sessions are spliced in as the roster's shared bytes, not copied per connect.
            init = protocol.parted_frame(protocol.SYSTEM_INIT, self.init_payload(session), "sessions", roster.members())
            session.peer.send_frame(init)

    def _admin(self, session: Session) -> None:
        if session.profile.is_admin:
            session.send(protocol.SYSTEM_ADMIN, self._fields(session, "admin_fields"))

    def init_payload(self, session: Session) -> dict[str, Any]:
        """system/init without its ``sessions``, which the roster adds."""
        return {
            "session_id": session.id,
            "control_host": self._sessions.host_status(),
            "settings": self._sessions.settings.to_dict(),
            **self._fields(session, "init_fields"),
        }

    def _fields(self, session: Session, kind: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for part in self._parts:
            fields.update(getattr(part, kind)(session))
        return fields
