"""Neko's ``multiuser`` provider: any username; the password alone picks the profile."""

from __future__ import annotations

import hmac
import secrets
import string

from ..config import MultiuserConfig
from ..errors import InvalidCredentials
from ..models import ADMIN_PROFILE, USER_PROFILE, MemberProfile
from .refusals import NoMembers

_SUFFIX_ALPHABET = string.ascii_letters + string.digits


class MultiuserProvider(NoMembers):
    name = "multiuser"

    def __init__(self, config: MultiuserConfig) -> None:
        self._admin_password = config.admin_password.encode()
        self._user_password = config.user_password.encode()
        self._admin_profile = ADMIN_PROFILE.merged(config.admin_profile)
        self._user_profile = USER_PROFILE.merged(config.user_profile)

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        if not username:
            raise InvalidCredentials()
        given = password.encode("utf-8", "surrogatepass")
        # Both comparisons always run, so timing does not tell which password matched.
        is_admin = hmac.compare_digest(given, self._admin_password)
        is_user = hmac.compare_digest(given, self._user_password)
        if is_admin:
            profile = self._admin_profile
        elif is_user:
            profile = self._user_profile
        else:
            raise InvalidCredentials()
        return session_id_for(username), profile.merged({"name": username})


def session_id_for(username: str) -> str:
    """Every login is a new session of its own, as in Neko: ``<username>-<5 random chars>``."""
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
    return f"{username}-{suffix}"
