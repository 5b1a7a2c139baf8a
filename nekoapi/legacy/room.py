"""What the v2 layer acts on: the room's parts it calls, its v2 clients and their bans.

Bans are Neko's legacy layer's (``server/internal/http/legacy/handler.go``): an administrator
bans the address a v2 session connected from, and that address is refused on every v2 path
(``/ws``, ``/stats``, ``/screenshot.jpg``, ``/file``) by this process until it restarts. Only
v2 sessions have an address known to the layer; v3 ones cannot be banned from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import errors
from ..desktop.manager import DesktopManager
from ..media.broadcast import BroadcastManager
from ..members.manager import MemberManager
from ..models import MemberProfile
from ..plugins.openinapp import OpenInApp
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from ..ws.messages import ClientMessages

if TYPE_CHECKING:
    from .peer import V2Peer


@dataclass
class Bans:
    """Banned addresses, and the address of each v2 session (to ban it by its id)."""

    banned: set[str] = field(default_factory=set)
    addresses: dict[str, str] = field(default_factory=dict)

    def is_banned(self, address: str | None) -> bool:
        return address is not None and address in self.banned

    def ban_session(self, session_id: str) -> bool:
        """Whether the session was a v2 one here, whose address is now banned."""
        address = self.addresses.get(session_id)
        if address is None:
            return False
        self.banned.add(address)
        return True


@dataclass
class V2Client:
    """One v2 socket: its session and its peer."""

    session: Session
    peer: V2Peer
    address: str | None


@dataclass
class V2Room:
    sessions: SessionManager
    room: RoomManager
    members: MemberManager
    events: ClientMessages  # the v3 socket's event table, which forwarded v2 events run through
    desktop: DesktopManager
    broadcast: BroadcastManager
    openinapp: OpenInApp
    bans: Bans = field(default_factory=Bans)

    async def update_member(self, member_id: str, changes_of: Callable[[MemberProfile], Mapping[str, Any]]) -> None:
        """``membersUpdateProfile`` as Neko's member manager does it: the member's session when it has
        one (a multiuser or v2 login is a session, not a stored member), and the stored member when
        the provider keeps members."""
        session = self._session(member_id)
        current = session.profile if session is not None else await self.members.get_profile(member_id)
        changes = changes_of(current)
        try:
            await self.members.update_profile(member_id, changes)
        except (errors.MemberOperationUnsupported, errors.MemberNotFound):
            if session is None:
                raise
            await self.sessions.update_profile(member_id, current.merged(dict(changes)))

    def _session(self, session_id: str) -> Session | None:
        try:
            return self.sessions.get(session_id)
        except errors.SessionNotFound:
            return None
