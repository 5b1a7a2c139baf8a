"""Value types shared by the core: member profiles, session state, room settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class MemberProfile:
    name: str = ""
    is_admin: bool = False
    can_login: bool = True
    can_connect: bool = True
    can_watch: bool = True
    can_host: bool = True
    can_share_media: bool = True
    can_access_clipboard: bool = True
    sends_inactive_cursor: bool = True
    can_see_inactive_cursors: bool = False
    # ours: may drive the room's browser over CDP (/api/room/cdp) and ask for a human hand-over
    can_automate: bool = False
    plugins: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its recursive deep copy dominated every session list.
        return {name: getattr(self, name) for name in _PROFILE_FIELD_ORDER}

    def merged(self, changes: dict[str, Any]) -> MemberProfile:
        """A copy with the fields in ``changes`` replaced; unknown keys are ignored."""
        known = {k: v for k, v in changes.items() if k in PROFILE_FIELDS}
        return dataclasses.replace(self, **known)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemberProfile:
        return cls().merged(data)


_PROFILE_FIELD_ORDER = tuple(f.name for f in dataclasses.fields(MemberProfile))
PROFILE_FIELDS = frozenset(_PROFILE_FIELD_ORDER)

ADMIN_PROFILE = MemberProfile(is_admin=True, can_see_inactive_cursors=True)
# The built-in session of the API token; no member may have this id, in any case, or the
# session routes (GET/DELETE /api/sessions/API) would mean two sessions at once.
API_SESSION_ID = "API"


# Sessions opened by share links have ids with this prefix; no member may have such an id, or
# a guest's session could be taken for a member's (and the member's changes applied to it).
GUEST_ID_PREFIX = "guest~"


def is_guest_id(session_id: str) -> bool:
    return session_id.casefold().startswith(GUEST_ID_PREFIX)


def reserved_member_id(member_id: str) -> bool:
    return member_id.casefold() == API_SESSION_ID.casefold() or is_guest_id(member_id)


def reserved_reason(member_id: str) -> str:
    """Why ``member_id`` may not be a member's (it is ``reserved_member_id``)."""
    if is_guest_id(member_id):
        return f"ids starting with {GUEST_ID_PREFIX} are reserved for the guests of share links"
    return f"the username {API_SESSION_ID} is reserved for the API session"


USER_PROFILE = MemberProfile()


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class SessionState:
    is_connected: bool = False
    connected_since: datetime | None = None
    not_connected_since: datetime | None = None
    is_watching: bool = False
    watching_since: datetime | None = None
    not_watching_since: datetime | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        # Every change counts: a session's cached encoding is kept while the count stays (sessions/session.py).
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_changes", self.__dict__.get("_changes", 0) + 1)

    @property
    def changes(self) -> int:
        """How many times a field was set, from construction on."""
        return self.__dict__["_changes"]  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _STATE_FIELD_ORDER:
            value = getattr(self, name)
            if isinstance(value, datetime):
                out[name] = rfc3339(value)
            elif value is not None:
                out[name] = value
        return out


_STATE_FIELD_ORDER = tuple(f.name for f in dataclasses.fields(SessionState))


@dataclass
class Settings:
    """Room settings; the initial values come from the ``session.*`` configuration."""

    private_mode: bool = False
    locked_logins: bool = False
    locked_controls: bool = False
    control_protection: bool = False
    implicit_hosting: bool = False
    inactive_cursors: bool = False
    merciful_reconnect: bool = True
    heartbeat_interval: int = 10
    plugins: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
