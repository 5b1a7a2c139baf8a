"""The composition root: builds the managers from the configuration, starts and stops them."""

from __future__ import annotations

from .config import Config
from .events import EventBus
from .members import create_provider
from .members.manager import MemberManager
from .sessions.manager import SessionManager
from .ws.broadcaster import Broadcaster
from .ws.messages import ClientMessages


class Services:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.bus = EventBus()
        self.members = create_provider(config.member)
        self.sessions = SessionManager(config.session, self.members, self.bus)
        self.member_manager = MemberManager(self.members, self.sessions)
        self.broadcaster = Broadcaster(self.sessions)
        self.client_messages = ClientMessages(self.sessions)

    async def start(self) -> None:
        await self.member_manager.start()
        self.broadcaster.start()

    async def stop(self) -> None:
        await self.broadcaster.stop()
        await self.member_manager.stop()
