"""The ``sessions`` object of ``system/init``, kept encoded as sessions change.

Every connect sends ``system/init`` listing every session; rebuilding it from the
sessions would be O(sessions) of Python per connect, O(N²) for N clients. Instead one
encoded ``"id":{SessionData}`` entry per session is refreshed when an event says that
session changed (the same events that keep the clients' copies right), and an init is
one join of bytes, shared by the connects of one event-loop turn.
"""

from __future__ import annotations

from ..sessions.manager import SessionManager


class Roster:
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        self._entries: dict[str, bytes] | None = None  # built on first use
        self._joined: bytes | None = None  # the entries joined: the inside of the JSON object

    def refresh(self, session_id: str) -> None:
        """The session was created, deleted or changed (its profile or state)."""
        entries = self._entries
        if entries is None:
            return
        current = self._sessions.replica.get(session_id)
        if current is None:
            entries.pop(session_id, None)
        else:
            entries[session_id] = current.keyed_json()
        self._joined = None

    def members(self) -> bytes:
        """Every session as ``"id":{SessionData},...``, joined once until the next change."""
        entries = self._entries
        # The count is a safety net: a session added or removed without an event.
        if entries is None or len(entries) != self._sessions.session_count():
            self._entries = {s.id: s.keyed_json() for s in self._sessions.list()}
            self._joined = None
        if self._joined is None:
            assert self._entries is not None
            self._joined = b",".join(self._entries.values())
        return self._joined
