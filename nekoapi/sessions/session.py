"""One session: a member's login, its profile, and its WebSocket if connected."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson

from ..models import MemberProfile, SessionState

if TYPE_CHECKING:
    from ..ws.peer import WebSocketPeer


class Session:
    __slots__ = ("_json", "grace_timer", "id", "is_api", "peer", "profile", "state", "token_digest")

    def __init__(self, session_id: str, token_digest: bytes, profile: MemberProfile, *, is_api: bool = False) -> None:
        self.id = session_id
        self.token_digest = token_digest
        self.profile = profile
        self.state = SessionState()
        self.peer: WebSocketPeer | None = None
        # Pending "mark disconnected" after an abnormal close; a reconnect cancels it.
        self.grace_timer: asyncio.TimerHandle | None = None
        self.is_api = is_api
        # (what it was built from, b'"id":{SessionData}') for system/init; rebuilt when either changes.
        self._json: tuple[tuple[Any, ...], bytes] | None = None

    def data(self) -> dict[str, Any]:
        """The ``SessionData`` shape of the API and of WebSocket events."""
        return {"id": self.id, "profile": self.profile.to_dict(), "state": self.state.to_dict()}

    def keyed_json(self) -> bytes:
        """``"id":{SessionData}`` as JSON; system/init joins these instead of encoding every session."""
        s = self.state
        # The profile is immutable (replaced on change); the state is changed in place, so
        # its values are the key. Tuples compare items by identity first: cheap when unchanged.
        key = (
            self.profile,
            s.is_connected,
            s.connected_since,
            s.not_connected_since,
            s.is_watching,
            s.watching_since,
            s.not_watching_since,
        )
        cached = self._json
        if cached is None or cached[0] != key:
            cached = self._json = (key, orjson.dumps(self.id) + b":" + orjson.dumps(self.data()))
        return cached[1]

    def send(self, event: str, payload: Any) -> None:
        if self.peer is not None:
            self.peer.send(event, payload)

    def cancel_grace(self) -> None:
        if self.grace_timer is not None:
            self.grace_timer.cancel()
            self.grace_timer = None

    def __repr__(self) -> str:
        return f"Session({self.id!r})"
