"""Neko's ``object`` provider: members listed in the configuration, kept in memory.

Changes through the API are refused rather than kept in memory only, since
they would silently vanish at the next restart.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from ..config import ConfigError, MemberConfig
from ..errors import InvalidCredentials, MemberNotFound
from ..models import MemberProfile, reserved_member_id
from .refusals import ReadOnlyMembers

KEY = "NEKO_MEMBER_OBJECT_USERS"


class ObjectProvider(ReadOnlyMembers):
    name = "object"

    def __init__(self, config: MemberConfig) -> None:
        self._users = _parse_users(config.object.users)

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        user = self._users.get(username)
        expected = (user[0] if user else "").encode("utf-8", "surrogatepass")
        matches = hmac.compare_digest(expected, password.encode("utf-8", "surrogatepass"))
        if user is None or not matches:
            raise InvalidCredentials()
        return username, user[1]

    async def select(self, member_id: str) -> MemberProfile:
        if member_id not in self._users:
            raise MemberNotFound.of(member_id)
        return self._users[member_id][1]

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        members = [(username, user[1]) for username, user in sorted(self._users.items())][offset:]
        return members[:limit] if limit else members


def _parse_users(raw: str) -> dict[str, tuple[str, MemberProfile]]:
    try:
        items: Any = json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{KEY}: invalid JSON ({exc.msg})") from None
    if not isinstance(items, list):
        raise ConfigError(f"{KEY}: expected a JSON list of users")
    users: dict[str, tuple[str, MemberProfile]] = {}
    for item in items:
        if not (isinstance(item, dict) and isinstance(item.get("username"), str) and item["username"]):
            raise ConfigError(f"{KEY}: every user needs a non-empty username")
        if not isinstance(item.get("password"), str):
            raise ConfigError(f"{KEY}: user {item['username']!r} needs a password")
        if reserved_member_id(item["username"]):
            raise ConfigError(f"{KEY}: the username {item['username']!r} is reserved for the API session")
        profile = MemberProfile.from_dict(item.get("profile") or {})
        users[item["username"]] = (item["password"], profile)
    return users
