"""One session: a member's login, its profile, and its WebSocket if connected."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from ..models import MemberProfile, SessionState
from ..types import Peer


class Session:
    __slots__ = ("_encoded", "created", "grace_timer", "id", "is_api", "peer", "profile", "state", "token_digest")

    def __init__(self, session_id: str, token_digest: bytes, profile: MemberProfile, *, is_api: bool = False) -> None:
        self.id = session_id
        self.token_digest = token_digest
        self.profile = profile
        self.state = SessionState()
        self.peer: Peer | None = None
        # Pending "mark disconnected" after an abnormal close; a reconnect cancels it.
        self.grace_timer: asyncio.TimerHandle | None = None
        self.is_api = is_api
        # time.monotonic() of the login (here): expiry counts from it until a socket has come and gone.
        self.created = time.monotonic()
        # data() as JSON, with the profile, state and state change count it was encoded from.
        self._encoded: tuple[MemberProfile, SessionState, int, bytes] | None = None

    def data(self) -> dict[str, Any]:
        """The ``SessionData`` shape of the API and of WebSocket events."""
        return {"id": self.id, "profile": self.profile.to_dict(), "state": self.state.to_dict()}

    def data_json(self) -> bytes:
        """``data()`` as JSON, encoded again only after a change: sessions are listed far more
        often than they change. A profile is frozen (a change replaces it), and the state
        counts its changes; the Redis backend replaces both objects or sets state fields.
        """
        profile, state, encoded = self.profile, self.state, self._encoded
        if encoded is None or encoded[0] is not profile or encoded[1] is not state or encoded[2] != state.changes:
            encoded = (profile, state, state.changes, orjson.dumps(self.data()))
            self._encoded = encoded
        return encoded[3]

    def keyed_json(self) -> bytes:
        """``"id":{SessionData}``: system/init's roster joins these instead of encoding every session."""
        return orjson.dumps(self.id) + b":" + self.data_json()

    def send(self, event: str, payload: Any) -> None:
        if self.peer is not None:
            self.peer.send(event, payload)

    def cancel_grace(self) -> None:
        if self.grace_timer is not None:
            self.grace_timer.cancel()
            self.grace_timer = None

    def __repr__(self) -> str:
        return f"Session({self.id!r})"
