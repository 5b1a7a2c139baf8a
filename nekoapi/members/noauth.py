"""Neko's ``noauth`` provider: anyone logs in, with any password, as an administrator; nothing is stored."""

from __future__ import annotations

from ..errors import InvalidCredentials
from ..models import ADMIN_PROFILE, MemberProfile
from .multiuser import session_id_for
from .refusals import NoMembers


class NoAuthProvider(NoMembers):
    name = "noauth"

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        if not username:
            raise InvalidCredentials()
        return session_id_for(username), ADMIN_PROFILE.merged({"name": username})
