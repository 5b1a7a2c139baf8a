"""Neko's ``object`` provider: members listed in the configuration, kept in memory.

Changes through the API are refused rather than kept in memory only, since
they would silently vanish at the next restart.
"""

from __future__ import annotations

import hmac

from ..config import MemberConfig
from ..errors import InvalidCredentials, MemberNotFound
from ..models import MemberProfile
from .refusals import ReadOnlyMembers


class ObjectProvider(ReadOnlyMembers):
    name = "object"

    def __init__(self, config: MemberConfig) -> None:
        self._users = {user.username: (user.password, user.profile) for user in config.object.users}

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
