"""Neko's built-in plugins (chat, file transfer, open in app): one registry, each switched by its config.

A plugin greets every socket that connects (after ``system/init``), adds its client
events to the WebSocket table, and may run background work between ``start`` and
``stop``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ..config import Config
from ..events import SessionConnected
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..ws.relay import Relay
from .chat import Chat
from .filetransfer import FileTransfer
from .openinapp import DesktopDisplay, OpenInApp


class Plugin(Protocol):
    def greet(self, session: Session) -> None: ...

    def events(self) -> dict[str, Any]: ...


class Plugins:
    def __init__(
        self, config: Config, sessions: SessionManager, relay: Relay, desktop: DesktopDisplay | None = None
    ) -> None:
        self.chat = Chat(config.chat, sessions, relay)
        self.filetransfer = FileTransfer(config.filetransfer, sessions)
        self.openinapp = OpenInApp(config.openinapp, sessions, desktop)
        self.all: tuple[Plugin, ...] = (self.chat, self.filetransfer, self.openinapp)
        sessions.bus.subscribe(SessionConnected, self._greet)

    def events(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for plugin in self.all:
            table.update(plugin.events())
        return table

    def _greet(self, event: SessionConnected) -> None:
        # After the core's greeting is complete: the connect's session/state comes right after
        # this event, and clients (Neko's among them) expect it second, after system/init.
        try:
            asyncio.get_running_loop().call_soon(self._greet_now, event.session, event.session.peer)
        except RuntimeError:
            self._greet_now(event.session, event.session.peer)

    def _greet_now(self, session: Session, peer: object) -> None:
        if peer is not None and session.peer is peer:  # not gone or replaced meanwhile
            for plugin in self.all:
                plugin.greet(session)

    async def start(self) -> None:
        await self.filetransfer.start()

    async def stop(self) -> None:
        await self.filetransfer.stop()
