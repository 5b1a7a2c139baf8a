"""Messages from sessions to sessions (``send/unicast``, ``send/broadcast``, chat), on every worker.

A message is sent to the sockets this worker holds and handed to the state backend,
which tells the other workers (the Redis channel); each of them sends it to the
sockets it holds. Neko checks nothing for ``send/*``: any session may relay.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..events import Delivered
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import EventHandler, RoomPart
from . import protocol
from .payloads import SendBroadcastRequest, SendUnicastRequest

log = logging.getLogger(__name__)

SEND_UNICAST = "send/unicast"
SEND_BROADCAST = "send/broadcast"


class Relay(RoomPart):
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions
        sessions.bus.subscribe(Delivered, self._deliver_here, remote=True)

    def send(self, event: str, payload: Any, to: Iterable[str] | None, exclude: str | None = None) -> None:
        """To the sessions ``to`` (None: every connected one but ``exclude``), wherever their socket is."""
        ids = None if to is None else tuple(to)
        delivered = self._deliver_here(Delivered(event, payload, ids, exclude))
        rest = None if ids is None else tuple(i for i in ids if i not in delivered)
        if rest is None or rest:
            self._sessions.state.deliver(event, payload, rest, exclude)

    def _deliver_here(self, delivery: Delivered) -> set[str]:
        if delivery.to is None:
            sessions = [s for s in self._sessions.connected() if s.id != delivery.exclude]
        else:
            replica = self._sessions.replica
            sessions = [s for s in map(replica.get, delivery.to) if s is not None and s.peer is not None]
        if sessions:
            frame = protocol.frame(delivery.event, delivery.payload)
            for session in sessions:
                if session.peer is not None:
                    session.peer.send_frame(frame)
        return {s.id for s in sessions}

    # --- the client events (Neko relays the subject and the body, any JSON, as they came) ---

    def events(self) -> dict[str, EventHandler]:
        return {SEND_UNICAST: self.unicast, SEND_BROADCAST: self.broadcast}

    async def unicast(self, session: Session, payload: SendUnicastRequest) -> None:
        message = {"sender": session.id, "receiver": payload.receiver, "subject": payload.subject, "body": payload.body}
        self.send(SEND_UNICAST, message, [payload.receiver])

    async def broadcast(self, session: Session, payload: SendBroadcastRequest) -> None:
        message = {"sender": session.id, "subject": payload.subject, "body": payload.body}
        self.send(SEND_BROADCAST, message, None, exclude=session.id)
