"""The uvicorn server ``nekoapi serve`` runs: it says goodbye to every socket before closing them.

uvicorn closes open WebSockets itself on shutdown (code 1012, no reason a
Neko client understands), so the goodbye has to happen before its own
shutdown starts: stop accepting, send ``system/disconnect`` "server
shutdown" on every socket, wait briefly for the clients, then let uvicorn
finish (its lifespan shutdown closes and flushes the stores).
"""

from __future__ import annotations

import gc
import socket
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from ..config import ServerConfig
from .app import NekoServer


def tls_options(server: ServerConfig) -> dict[str, Any]:
    """uvicorn's TLS options for ``server.cert`` and ``server.key``: https and wss on the one port, as
    Neko's ``ListenAndServeTLS`` (server/internal/http/manager.go); none without a certificate."""
    return {"ssl_certfile": server.cert, "ssl_keyfile": server.key} if server.cert else {}


def scheme(server: ServerConfig) -> str:
    return "https" if server.cert else "http"


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: NekoServer | None = None) -> None:
        super().__init__(config)
        # A worker process has no app handed over: it loads its own from the import string.
        self.neko = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # What exists now (modules, the spec, Connexion's prebuilt operations) lives as long as
        # the process. Frozen, the cyclic collector stops rescanning it: each full collection
        # otherwise stalled requests by tens of ms under load (docs/benchmarks.md).
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while we say goodbye
        app = self.neko or getattr(self.config, "loaded_app", None)
        if isinstance(app, NekoServer):
            await app.services.close_sockets()
        await super().shutdown(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises a captured SIGTERM/SIGINT after shutting down, which
        # ends the process as killed by it; a finished graceful stop is a success.
        self._captured_signals.clear()


# --- scale-out: n worker processes, each a GracefulServer ---


class _WorkerProcess(Process):
    """uvicorn's worker process, running our server instead of the plain one."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = GracefulServer(self.config)
        return self._server


class Workers(Multiprocess):
    """uvicorn's supervisor (restarts workers that die), with graceful workers."""

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            process = _WorkerProcess(self.config, self.sockets)
            process.start()
            self.processes.append(process)
