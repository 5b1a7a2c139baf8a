"""Neko's chat plugin: ``chat/message`` between sessions, and ``POST /api/chat/`` for administrators."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from .. import errors
from ..config import ChatConfig
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import RoomPart
from ..ws.payloads import ChatMessageRequest
from ..ws.relay import Relay
from .permissions import allowed

log = logging.getLogger(__name__)

CHAT_INIT = "chat/init"
CHAT_MESSAGE = "chat/message"


class Chat(RoomPart):
    def __init__(self, config: ChatConfig, sessions: SessionManager, relay: Relay) -> None:
        self._enabled = config.enabled
        self._sessions = sessions
        self._relay = relay

    def can_send(self, session: Session) -> bool:
        return self._enabled and allowed(session, self._sessions.settings, "chat.can_send")

    def can_receive(self, session: Session) -> bool:
        return self._enabled and allowed(session, self._sessions.settings, "chat.can_receive")

    def greet(self, session: Session) -> None:
        session.send(CHAT_INIT, {"enabled": self.can_send(session) or self.can_receive(session)})

    def events(self) -> dict[str, Any]:
        return {CHAT_MESSAGE: self._on_message}

    def send(self, sender: Session, text: str) -> None:
        """Everyone allowed to receive gets the message, the sender included; on every worker."""
        if not self.can_send(sender):
            raise errors.ChatForbidden()
        created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        message = {"id": sender.id, "created": created, "content": {"text": text}}
        recipients = [s.id for s in self._sessions.list() if s.state.is_connected and self.can_receive(s)]
        self._relay.send(CHAT_MESSAGE, message, recipients)

    async def _on_message(self, session: Session, payload: ChatMessageRequest) -> None:
        self.send(session, payload.text)
