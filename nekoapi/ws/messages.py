"""What the server does with each message a client sends: one table, one function per event."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..sessions.manager import SessionManager
from ..sessions.session import Session
from . import protocol

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], Awaitable[None]]


class ClientMessages:
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        self._table: dict[str, Handler] = {
            protocol.CLIENT_HEARTBEAT: self._heartbeat,
        }

    async def handle(self, session: Session, raw: str | bytes) -> None:
        """Dispatch one message; malformed or unknown ones are logged and ignored."""
        message = protocol.decode(raw)
        if message is None:
            log.info("ignored malformed websocket message from session %s", session.id)
            return
        event, payload = message
        handler = self._table.get(event)
        if handler is None:
            log.info("ignored unknown websocket event %r from session %s", event[:64], session.id)
            return
        await handler(session, payload)

    async def _heartbeat(self, session: Session, payload: Any) -> None:
        # Receiving anything proves the client is alive; there is nothing else to do.
        return None
