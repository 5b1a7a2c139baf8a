"""The contracts between the parts of the core: every backend implements one of these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .models import MemberProfile

if TYPE_CHECKING:
    from .sessions.session import Session


class MemberProvider(Protocol):
    """Where members and their passwords live (Neko's ``member.provider``).

    Every write is atomic and durable when it returns: a batch (several ids)
    is applied completely or not at all. A provider that cannot do an
    operation raises ``MemberOperationUnsupported``; unknown ids raise
    ``MemberNotFound``, an existing username ``MemberAlreadyExists``.
    """

    async def open(self) -> None:
        """Connect to the store (and create it, or its first member, where the provider does that)."""
        ...

    async def close(self) -> None: ...

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        """The member's id and profile; raises ``InvalidCredentials``."""
        ...

    async def insert(self, username: str, password: str, profile: MemberProfile) -> str:
        """Store a new member; its id."""
        ...

    async def select(self, member_id: str) -> MemberProfile: ...

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        """Members ordered by id; ``limit`` 0 means no limit."""
        ...

    async def update_profiles(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> dict[str, MemberProfile]:
        """Merge ``changes`` into each stored profile; the new profiles by id."""
        ...

    async def update_password(self, member_id: str, password: str) -> None: ...

    async def delete(self, member_ids: Sequence[str]) -> None: ...


class SessionStore(Protocol):
    """Sessions by id and by token digest."""

    def add(self, session: Session) -> None: ...

    def remove(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def by_token(self, token: str) -> Session | None: ...

    def all(self) -> Iterable[Session]: ...

    def __len__(self) -> int: ...


class HealthCheck(Protocol):
    """A component with a backing store that can be unreachable (database, file, Redis)."""

    async def ping(self) -> None:
        """Returns when the store answers; raises otherwise."""
        ...


class Connection(Protocol):
    """The little a WebSocket peer needs from the socket underneath."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class LinkOpener(Protocol):
    """Opens a link in the desktop's application (Neko's openinapp plugin)."""

    async def open(self, url: str) -> None:
        """Returns once the opening has started; raises ``OpenCommandFailed`` when it cannot."""
        ...
