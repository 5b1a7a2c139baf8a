"""The uvicorn server ``nekoapi serve`` runs: it says goodbye to every socket before closing them.

uvicorn closes open WebSockets itself on shutdown (code 1012, no reason a
Neko client understands), so the goodbye has to happen before its own
shutdown starts: stop accepting, send ``system/disconnect`` "server
shutdown" on every socket, wait briefly for the clients, then let uvicorn
finish (its lifespan shutdown closes and flushes the stores).
"""

from __future__ import annotations

import socket
from types import FrameType

import uvicorn

from .app import NekoServer


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: NekoServer) -> None:
        super().__init__(config)
        self.neko = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while we say goodbye
        await self.neko.services.close_sockets()
        await super().shutdown(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises a captured SIGTERM/SIGINT after shutting down, which
        # ends the process as killed by it; a finished graceful stop is a success.
        self._captured_signals.clear()
