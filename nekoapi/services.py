"""The composition root: builds the managers from the configuration, starts and stops them."""

from __future__ import annotations

from .config import Config
from .events import EventBus
from .members import create_provider
from .sessions.manager import SessionManager
from .sessions.room import RoomManager
from .ws.broadcaster import Broadcaster
from .ws.messages import ClientMessages


class Services:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.bus = EventBus()
        self.members = create_provider(config.member)
        self.sessions = SessionManager(config.session, self.members, self.bus)
        self.broadcaster = Broadcaster(self.sessions)
        # After the broadcaster: the room reacts to connects after system/init went out.
        self.room = RoomManager(self.sessions)
        self.client_messages = ClientMessages(self.sessions, self.room)

    async def start(self) -> None:
        self.broadcaster.start()

    async def stop(self) -> None:
        await self.broadcaster.stop()
