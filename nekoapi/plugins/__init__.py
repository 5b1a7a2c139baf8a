"""Neko's built-in plugins (chat, file transfer, open in app): each a room part, switched by its config.

A plugin greets every socket that connects (after ``system/init`` and the connect's
``session/state``), adds its client events to the WebSocket table, and may run background
work between ``startup`` and ``shutdown``; the composition root lists them among the parts.
"""

from __future__ import annotations

from ..config import Config
from ..sessions.manager import SessionManager
from ..types import RoomPart
from ..ws.relay import Relay
from .chat import Chat
from .filetransfer import FileTransfer
from .openinapp import DesktopDisplay, OpenInApp


class Plugins:
    def __init__(
        self, config: Config, sessions: SessionManager, relay: Relay, desktop: DesktopDisplay | None = None
    ) -> None:
        self.chat = Chat(config.chat, sessions, relay)
        self.filetransfer = FileTransfer(config.filetransfer, sessions)
        self.openinapp = OpenInApp(config.openinapp, sessions, desktop)
        # Neko's order: chat, then file transfer (and our open-in-app last).
        self.all: tuple[RoomPart, ...] = (self.chat, self.filetransfer, self.openinapp)
