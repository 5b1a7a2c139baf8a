"""What the server does with each message a client sends: one table, one function per event."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import NekoError
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from . import protocol

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], Awaitable[None]]


class ClientMessages:
    def __init__(self, sessions: SessionManager, room: RoomManager) -> None:
        self._sessions = sessions
        self._room = room
        self._table: dict[str, Handler] = {
            protocol.CLIENT_HEARTBEAT: self._heartbeat,
            protocol.CONTROL_REQUEST: self._control_request,
            protocol.CONTROL_RELEASE: self._control_release,
        }

    def extend(self, table: dict[str, Handler]) -> None:
        """More events (the desktop's, the media's); an event is handled by one part only."""
        clash = table.keys() & self._table.keys()
        if clash:
            raise ValueError(f"websocket events handled twice: {sorted(clash)}")
        self._table.update(table)

    async def handle(self, session: Session, raw: str | bytes) -> None:
        """Dispatch one message; malformed, unknown or refused ones are logged and ignored."""
        message = protocol.decode(raw)
        if message is None:
            log.info("ignored malformed websocket message from session %s", session.id)
            return
        event, payload = message
        handler = self._table.get(event)
        if handler is None:
            log.info("ignored unknown websocket event %r from session %s", event[:64], session.id)
            return
        try:
            await handler(session, payload)
        except NekoError as exc:
            # Neko answers nothing over the socket either; the refusal is only logged.
            log.info("refused websocket %s from session %s: %s", event, session.id, exc.text)

    async def _heartbeat(self, session: Session, payload: Any) -> None:
        # Receiving anything proves the client is alive; there is nothing else to do.
        return None

    async def _control_request(self, session: Session, payload: Any) -> None:
        await self._room.request_control(session)

    async def _control_release(self, session: Session, payload: Any) -> None:
        await self._room.release_control(session)
