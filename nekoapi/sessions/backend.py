"""Where the session manager's shared state is replicated: nowhere (one process) or Redis.

Only the replica (``replica.py``) talks to a backend. Every worker holds a replica
of the state in memory (sessions, host, settings, stats) and answers reads from
it; each change the replica makes is handed to the backend, which makes it
shared (and tells the other workers), and other workers' changes come back
through the replica's ``apply_*`` methods. The in-process backend does nothing:
its replica is the only copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..models import Settings

if TYPE_CHECKING:
    from .replica import Replica
    from .session import Session


class StateBackend(Protocol):
    # --- lifecycle ---

    def attach(self, replica: Replica) -> None:
        """The replica remote changes are applied to (through its ``apply_*`` methods)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    # --- changes made on this worker, in the order they happened ---

    def put_session(self, session: Session) -> None: ...

    def delete_session(self, session: Session) -> None: ...

    async def end_session(self, session: Session) -> None:
        """Delete the session everywhere before this worker forgets it; raises
        ``BackingStoreUnavailable`` (and changes nothing) when that cannot be done now."""
        ...

    def put_profile(self, session: Session) -> None: ...

    def put_state(self, session: Session, event: str | None) -> None:
        """``event``: "connected"/"disconnected" when the change is one, else None."""
        ...

    def count(self, is_admin: bool, delta: int) -> None: ...

    def put_host(self, host_id: str | None, changed_by: str) -> None: ...

    def put_settings(self, settings: Settings, changed_by: str) -> None: ...

    def control_requested(self, host_id: str, requested_by: str) -> None: ...

    def close_remote(self, session_id: str, reason: str, *, replaced: bool = False) -> None:
        """Close the session's socket on whichever worker holds it."""
        ...

    def deliver(self, event: str, payload: Any, to: tuple[str, ...] | None, exclude: str | None) -> None:
        """Send a message to sockets other workers hold (see ``events.Delivered``)."""
        ...

    # --- decisions workers could race for ---

    async def claim_host(self, session_id: str) -> str | None:
        """Make ``session_id`` the host if there is none; the host that holds it otherwise."""
        ...

    # --- reads that may miss the replica (changes another worker made a moment ago) ---

    async def load(self, session_id: str) -> Session | None: ...

    async def load_by_token(self, token: str) -> Session | None: ...

    # --- acknowledgement ---

    async def require(self) -> None:
        """Raises ``BackingStoreUnavailable`` when changes cannot be made shared now."""
        ...

    async def flush(self) -> None:
        """Returns when every change handed over so far is shared; raises ``BackingStoreUnavailable``."""
        ...


def create_backend(config: Config) -> StateBackend:
    """``session.store``: this process only, or Redis (imported only then: its client is heavy)."""
    if config.session.store != "redis":
        return LocalBackend()
    from .redis_backend import RedisBackend

    return RedisBackend(config.redis)


class LocalBackend:
    """One process: the replica is the truth, and there is nobody to tell."""

    def __init__(self) -> None:
        self._replica: Replica | None = None

    def attach(self, replica: Replica) -> None:
        self._replica = replica

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def put_session(self, session: Session) -> None:
        return None

    def delete_session(self, session: Session) -> None:
        return None

    async def end_session(self, session: Session) -> None:
        return None

    def put_profile(self, session: Session) -> None:
        return None

    def put_state(self, session: Session, event: str | None) -> None:
        return None

    def count(self, is_admin: bool, delta: int) -> None:
        return None

    def put_host(self, host_id: str | None, changed_by: str) -> None:
        return None

    def put_settings(self, settings: Settings, changed_by: str) -> None:
        return None

    def control_requested(self, host_id: str, requested_by: str) -> None:
        return None

    def close_remote(self, session_id: str, reason: str, *, replaced: bool = False) -> None:
        return None

    def deliver(self, event: str, payload: Any, to: tuple[str, ...] | None, exclude: str | None) -> None:
        return None

    async def claim_host(self, session_id: str) -> str | None:
        assert self._replica is not None
        # Nothing awaits between the check and the change, so no other request interleaves.
        current = self._replica.host_id
        return current if current is not None and current != session_id else None

    async def load(self, session_id: str) -> Session | None:
        return None

    async def load_by_token(self, token: str) -> Session | None:
        return None

    async def require(self) -> None:
        return None

    async def flush(self) -> None:
        return None
