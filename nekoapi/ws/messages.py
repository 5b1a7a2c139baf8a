"""What the server does with each message a client sends: one table, one function per event.

Every event a part handles must be declared as a client event in ``spec/openapi.yaml``
(``x-websocket``); its payload is decoded here, once, into the typed object of
``payloads.py`` before the handler runs. What Neko's server does (its websocket
``manager.go`` and ``handler/handler.go``) is done for every event alike: a message that
is not an event, an unknown event, or a payload that does not decode is logged as a
warning and dropped, nothing is sent back, and the socket stays open.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import NekoError
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from . import protocol
from .decoding import Decoder, MalformedPayload, decoders

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], Awaitable[None]]


class EventFailed(Exception):
    """A handler could not do what a valid event asked (no peer yet, an SDP the peer refuses).

    Logged as Neko logs a failed handler, and nothing is sent back; any other exception
    is a fault of ours, logged with its traceback by the socket's loop.
    """


class ClientMessages:
    def __init__(self, sessions: SessionManager, room: RoomManager) -> None:
        self._sessions = sessions
        self._room = room
        self._decoders = decoders()
        self._table: dict[str, tuple[Handler, Decoder]] = {}
        self.extend(
            {
                protocol.CLIENT_HEARTBEAT: self._heartbeat,
                protocol.CONTROL_REQUEST: self._control_request,
                protocol.CONTROL_RELEASE: self._control_release,
            }
        )

    def extend(self, table: dict[str, Handler]) -> None:
        """More events (the desktop's, the media's); an event is handled by one part only."""
        clash = table.keys() & self._table.keys()
        if clash:
            raise ValueError(f"websocket events handled twice: {sorted(clash)}")
        undeclared = table.keys() - self._decoders.keys()
        if undeclared:
            raise ValueError(f"websocket events not declared in spec/openapi.yaml x-websocket: {sorted(undeclared)}")
        self._table.update({event: (handler, self._decoders[event]) for event, handler in table.items()})

    def events(self) -> set[str]:
        """The client events handled here."""
        return set(self._table)

    async def handle(self, session: Session, raw: str | bytes) -> None:
        """Decode one message and run its handler; see the module's docstring for what is dropped."""
        message = protocol.decode(raw)
        if message is None:
            log.warning("ignored a websocket message that is not an event from session %s", session.id)
            return
        await self.dispatch(session, *message)

    async def dispatch(self, session: Session, event: str, payload: Any) -> None:
        """Run one event already decoded from JSON (Neko's v2 layer, ``legacy/``, translates into these)."""
        entry = self._table.get(event)
        if entry is None:
            log.warning("ignored unknown websocket event %r from session %s", event[:64], session.id)
            return
        handler, decode = entry
        try:
            typed = decode(payload)
        except MalformedPayload as exc:
            log.warning("ignored websocket %s from session %s: %s", event, session.id, exc)
            return
        try:
            await handler(session, typed)
        except NekoError as exc:
            # Neko answers nothing over the socket either; the refusal is only logged.
            log.info("refused websocket %s from session %s: %s", event, session.id, exc.text)
        except EventFailed as exc:
            log.warning("websocket %s from session %s failed: %s", event, session.id, exc)

    async def _heartbeat(self, session: Session, payload: None) -> None:
        # Receiving anything proves the client is alive; there is nothing else to do.
        return None

    async def _control_request(self, session: Session, payload: None) -> None:
        await self._room.request_control(session)

    async def _control_release(self, session: Session, payload: None) -> None:
        await self._room.release_control(session)
