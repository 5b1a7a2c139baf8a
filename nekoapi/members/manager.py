"""The members API in the core: the provider stores, this applies the change to live sessions too.

A member's session has the member's id (file, object, sqlite, postgres), so
after a stored change the session of that id gets the same profile (which
broadcasts ``session/profile`` and may close its socket or release control),
and a removed member's session is deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from .. import errors
from ..models import USER_PROFILE, MemberProfile, reserved_member_id, reserved_reason
from ..sessions.manager import SessionManager
from ..types import MemberProvider


class MemberManager:
    def __init__(self, provider: MemberProvider, sessions: SessionManager | None) -> None:
        """``sessions`` is None where no session lives (the command line)."""
        self.provider = provider
        self._sessions = sessions

    async def start(self) -> None:
        await self.provider.open()

    async def stop(self) -> None:
        await self.provider.close()

    async def list(self, limit: int = 0, offset: int = 0) -> list[tuple[str, MemberProfile]]:
        return await self.provider.select_all(limit, offset)

    async def get_profile(self, member_id: str) -> MemberProfile:
        return await self.provider.select(member_id)

    async def create(
        self, username: str, password: str, profile: Mapping[str, Any] | None = None
    ) -> tuple[str, MemberProfile]:
        _require("username", username)
        _require("password", password)
        if reserved_member_id(username):
            raise errors.InvalidMemberData(reserved_reason(username))
        # Fields left out get the defaults of a regular user; an empty display name becomes the username.
        stored = USER_PROFILE.merged(dict(profile or {}))
        if not stored.name:
            stored = stored.merged({"name": username})
        member_id = await self.provider.insert(username, password, stored)
        return member_id, stored

    async def update_password(self, member_id: str, password: str) -> None:
        _require("password", password)
        await self.provider.update_password(member_id, password)

    async def update_profile(self, member_id: str, changes: Mapping[str, Any]) -> None:
        await self.bulk_update([member_id], changes)

    async def bulk_update(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> None:
        if not member_ids:
            return
        updated = await self.provider.update_profiles(member_ids, changes)
        if self._sessions is None:
            return
        for member_id, profile in updated.items():
            with contextlib.suppress(errors.SessionNotFound):
                await self._sessions.update_profile(member_id, profile)

    async def remove(self, member_id: str) -> None:
        await self.bulk_delete([member_id])

    async def bulk_delete(self, member_ids: Sequence[str]) -> None:
        if not member_ids:
            return
        await self.provider.delete(member_ids)
        if self._sessions is None:
            return
        for member_id in dict.fromkeys(member_ids):
            with contextlib.suppress(errors.SessionNotFound):
                await self._sessions.delete(member_id)


def _require(field: str, value: str) -> None:
    if not value:
        raise errors.InvalidMemberData(f"{field} must not be empty")
