"""Sessions kept in this process's memory (Neko's behaviour without ``session.file``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..tokens import same_token, token_digest
from .session import Session


class MemorySessionStore:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._by_digest: dict[bytes, Session] = {}

    def add(self, session: Session) -> None:
        self._by_id[session.id] = session
        self._by_digest[session.token_digest] = session

    def remove(self, session: Session) -> None:
        self._by_id.pop(session.id, None)
        self._by_digest.pop(session.token_digest, None)

    def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def by_token(self, token: str) -> Session | None:
        # O(1) by digest; the final comparison runs in constant time.
        session = self._by_digest.get(token_digest(token))
        if session is not None and same_token(session.token_digest, token):
            return session
        return None

    def all(self) -> Iterable[Session]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    async def flush(self) -> None:
        """Nothing to write: memory is the only copy."""
        return None
