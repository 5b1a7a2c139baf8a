"""Neko's legacy (v2) HTTP paths: their answers, built from the room's own (Neko's
``server/internal/http/legacy/handler.go`` and the v2 ``Stats`` shape of its ``types/types.go``;
members and locks are ``legacy/shapes.py``'s). The ``?pwd=`` caller is ``security.password_info``'s;
the v2 configuration names are in ``configkeys/v2.py``."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..legacy.shapes import locks, member
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session


def require_admin(caller: Session) -> Session:
    """``/stats`` and ``/screenshot.jpg`` are for administrators; Neko tells a user 401 "bad authorization"."""
    if not caller.profile.is_admin:
        raise errors.V2AdminRequired()
    return caller


def stats(room: RoomManager, sessions: SessionManager) -> dict[str, Any]:
    """v2's ``/stats``: the room's statistics with the connected members, the locks and two settings."""
    current, settings = room.stats(), room.settings
    members = [member(s.id, s.profile) for s in sessions.list() if s.state.is_connected]
    return {
        "connections": len(members),
        "host": current.get("host_id", ""),
        "members": members,
        "banned": {},  # v2's bans (IP -> who banned it) are the v2 WebSocket's; Neko leaves this empty too
        "locked": locks(settings),
        "server_started_at": current["server_started_at"],
        "last_admin_left_at": current.get("last_admin_left_at"),
        "last_user_left_at": current.get("last_user_left_at"),
        "control_protection": settings.control_protection,
        "implicit_control": settings.implicit_hosting,
    }
