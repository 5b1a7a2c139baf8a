"""Neko's plugin permissions: flat keys in ``settings.plugins`` and ``profile.plugins``.

A key such as ``"chat.can_send"`` allows something when the room allows it (an
administrator need not ask the room) and the session's profile allows it. A key
missing from either place, or not a boolean, counts as allowed: Neko's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Settings
from ..sessions.session import Session


def allowed(session: Session, settings: Settings, key: str) -> bool:
    room = session.profile.is_admin or flag(settings.plugins, key)
    return room and flag(session.profile.plugins, key)


def flag(values: Mapping[str, Any], key: str) -> bool:
    value = values.get(key, True)
    return value if isinstance(value, bool) else True
