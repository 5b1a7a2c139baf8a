"""Member operations that a provider without its own store answers with a typed refusal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import MemberOperationUnsupported
from ..models import MemberProfile


class NoLifecycle:
    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None


class ReadOnlyMembers(NoLifecycle):
    """Members come from the configuration: they can be read but not changed through the server."""

    name = "read-only"

    def _refuse(self, action: str) -> MemberOperationUnsupported:
        return MemberOperationUnsupported(f"the {self.name} member provider cannot {action}")

    async def insert(self, username: str, password: str, profile: MemberProfile) -> str:
        raise self._refuse("create members")

    async def update_profiles(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> dict[str, MemberProfile]:
        raise self._refuse("change member profiles")

    async def update_password(self, member_id: str, password: str) -> None:
        raise self._refuse("change passwords")

    async def delete(self, member_ids: Sequence[str]) -> None:
        raise self._refuse("remove members")


class NoMembers(ReadOnlyMembers):
    """Providers that keep no members at all (multiuser, noauth): reading is refused as well."""

    async def select(self, member_id: str) -> MemberProfile:
        raise self._refuse("look up members")

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        raise self._refuse("list members")
