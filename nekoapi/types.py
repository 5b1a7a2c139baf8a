"""The contracts between the parts of the core: every backend implements one of these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from .models import MemberProfile

if TYPE_CHECKING:
    from .sessions.session import Session


class MemberProvider(Protocol):
    """Where members and their passwords live (Neko's ``member.provider``)."""

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        """The member's id and profile; raises ``InvalidCredentials``."""
        ...


class SessionStore(Protocol):
    """Sessions by id and by token digest."""

    def add(self, session: Session) -> None: ...

    def remove(self, session: Session) -> None: ...

    def get(self, session_id: str) -> Session | None: ...

    def by_token(self, token: str) -> Session | None: ...

    def all(self) -> Iterable[Session]: ...


class HealthCheck(Protocol):
    """A component with a backing store that can be unreachable (database, file, Redis)."""

    async def ping(self) -> None:
        """Returns when the store answers; raises otherwise."""
        ...


class Connection(Protocol):
    """The little a WebSocket peer needs from the socket underneath."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...
