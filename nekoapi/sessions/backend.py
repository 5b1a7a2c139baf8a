"""Where the session manager's shared state is replicated: nowhere (one process) or Redis.

The session and room managers keep one code path. Every worker holds a replica
of the state in memory (sessions, host, settings, stats) and answers reads from
it; each change the managers make is handed to the backend, which makes it
shared (and tells the other workers). The in-process backend does nothing: its
replica is the only copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..models import Settings

if TYPE_CHECKING:
    from .manager import SessionManager
    from .session import Session


class StateBackend(Protocol):
    # --- lifecycle ---

    def attach(self, manager: SessionManager) -> None:
        """The manager whose replica remote changes are applied to."""
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


class LocalBackend:
    """One process: the replica is the truth, and there is nobody to tell."""

    def __init__(self) -> None:
        self._manager: SessionManager | None = None

    def attach(self, manager: SessionManager) -> None:
        self._manager = manager

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
        assert self._manager is not None
        # Nothing awaits between the check and the change, so no other request interleaves.
        current = self._manager.host_id
        return current if current is not None and current != session_id else None

    async def load(self, session_id: str) -> Session | None:
        return None

    async def load_by_token(self, token: str) -> Session | None:
        return None

    async def require(self) -> None:
        return None

    async def flush(self) -> None:
        return None
