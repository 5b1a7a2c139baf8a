"""What the server does with each message a client sends: one table, one function per event."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import NekoError
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from . import protocol

if TYPE_CHECKING:
    from ..media.manager import MediaManager

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], Awaitable[None]]


class ClientMessages:
    def __init__(self, sessions: SessionManager, room: RoomManager, media: MediaManager | None = None) -> None:
        self._sessions = sessions
        self._room = room
        self._table: dict[str, Handler] = {
            protocol.CLIENT_HEARTBEAT: self._heartbeat,
            protocol.CONTROL_REQUEST: self._control_request,
            protocol.CONTROL_RELEASE: self._control_release,
        }
        if media is not None:
            self._table.update(
                {
                    protocol.SIGNAL_REQUEST: _logged(media.request),
                    protocol.SIGNAL_ANSWER: _logged(media.answer),
                    protocol.SIGNAL_CANDIDATE: _logged(media.candidate),
                    protocol.SIGNAL_OFFER: _logged(media.offer),
                    protocol.SIGNAL_RESTART: _logged(media.restart),
                    protocol.SIGNAL_VIDEO: _logged(media.video),
                    protocol.SIGNAL_AUDIO: _logged(media.audio),
                }
            )

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


def _logged(handler: Handler) -> Handler:
    """Signalling failures (a bad SDP, an unknown stream, no peer yet) are only logged, as in Neko."""

    async def run(session: Session, payload: Any) -> None:
        try:
            await handler(session, payload)
        except NekoError:
            raise
        except Exception as exc:
            log.info("websocket %s from session %s failed: %s", handler.__name__, session.id, exc)

    return run
