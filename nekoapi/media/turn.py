"""``webrtc.turn``: the TURN relay nekoapi runs itself (Debian's coturn), as it runs its X server.

A browser that reaches only the relay's port (and the API's) still connects: its relay candidate
pairs with the server's host candidates on this machine. coturn runs in a session of its own, in a
private folder (its configuration holds the shared secret), watched by the reaper so that it ends
with nekoapi however nekoapi ends, and is started again when it dies. Start-up checks the ports
itself and waits for a STUN answer, because coturn retries a taken port for ever instead of
failing. What the relay may do, and the credentials, are in turnconf.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import secrets
import shutil
import signal
import socket
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

from ..children import Child, spawn
from ..config import Config
from ..reaper import end_with_nekoapi
from . import rtc_mux
from .turnconf import RelayPlan, coturn_config, credentials, relay_plan, urls

log = logging.getLogger(__name__)
COTURN = "turnserver"
START_TIMEOUT = 10.0  # s for coturn to answer a STUN binding request (it takes ~0.1 s; a loaded host more)
STOP_TIMEOUT = 3.0
MIN_BACKOFF, MAX_BACKOFF = 1.0, 30.0


class TurnError(RuntimeError):
    """The relay could not be started (one line, naming ``webrtc.turn``)."""


class TurnRelay:
    """coturn for this server: ``start``/``stop``, and ``ice_servers`` for each ``signal/provide``."""

    def __init__(self, config: Config) -> None:
        turn, server = config.webrtc.turn, config.server
        self._turn = turn
        self._secret = turn.secret or secrets.token_urlsafe(32)  # 256 bits; never logged
        self._tls = (server.cert, server.key, turn.tls_port) if server.cert and server.key else None
        nat = tuple(entry.partition("/")[0] for entry in config.webrtc.nat1to1)
        # The relay's addresses are those our ICE agent gathers on, and ``hosts`` where clients reach it.
        self.plan, self.hosts = relay_plan(turn, tuple(rtc_mux.host_addresses()), nat, self._tls)
        self.process: Child | None = None
        self._folder: Path | None = None
        self._watch: asyncio.Task[None] | None = None

    def ice_servers(self, session_id: str) -> list[dict[str, Any]]:
        """The relay as an RTCIceServer, with fresh credentials for ``session_id``; none while it has no
        address to give (a browser refuses an RTCIceServer without URLs)."""
        found = urls(self.hosts, self._turn.port, self._tls[2] if self._tls else None)
        if not found:
            return []
        given = credentials(self._secret, session_id, int(time.time() + self._turn.credential_lifetime))
        return [{"urls": found, "username": given.username, "credential": given.credential}]

    async def start(self) -> None:
        await asyncio.to_thread(_check_free, self.plan)
        self._folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nekoapi-turn-"))
        try:
            await asyncio.to_thread(_write_private, self.config_file, self._config_text())
            await self._launch()
        except BaseException:
            await self.stop()  # the folder holds the secret: it goes with a failed start too
            raise
        self._watch = asyncio.create_task(self._supervise(), name="turn-relay")
        if self.hosts:
            log.info("webrtc.turn: coturn relays on port %d, reached at %s", self._turn.port, ", ".join(self.hosts))
        else:
            log.warning("webrtc.turn: no address to give clients; set webrtc.turn.external_address")

    async def stop(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        process, self.process = self.process, None
        await _end(process)
        if self._folder is not None:
            await asyncio.to_thread(shutil.rmtree, self._folder, True)
            self._folder = None

    @property
    def config_file(self) -> Path:
        assert self._folder is not None, "started"
        return self._folder / "turnserver.conf"

    def _config_text(self) -> str:
        assert self._folder is not None
        return coturn_config(self.plan, self._secret, str(self._folder))

    async def _launch(self) -> None:
        """Starts coturn; ``process`` is set once it answers."""
        assert self._folder is not None
        try:
            process = await spawn([COTURN, "-c", str(self.config_file)], start_new_session=True)
        except OSError as exc:
            raise TurnError(f"webrtc.turn: cannot run {COTURN} ({exc.strerror}); install Debian's coturn") from None
        try:
            await asyncio.to_thread(end_with_nekoapi, process.pid)
            answered = await asyncio.to_thread(_answers, self._turn.port, process, START_TIMEOUT)
        except asyncio.CancelledError:  # stopped while starting: no coturn is left behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
        if not answered:
            code = process.returncode
            await _end(process)
            said = _last_line(self._folder / "turnserver.log")
            how = f"exited with status {code}" if code is not None else f"did not answer within {START_TIMEOUT:g} s"
            raise TurnError(f"webrtc.turn: coturn {how} on port {self._turn.port}: {said}")
        self.process = process

    async def _supervise(self) -> None:
        backoff = MIN_BACKOFF
        while True:
            if self.process is not None:
                code = await self.process.wait()
                said = _last_line(self._folder / "turnserver.log") if self._folder else ""
                log.error("webrtc.turn: coturn exited with status %s (%s); restarting in %.0f s", code, said, backoff)
                self.process = None
            await asyncio.sleep(backoff)
            try:
                await self._launch()
                backoff = MIN_BACKOFF
            except TurnError as exc:
                log.error("%s; retrying", exc)
                backoff = min(backoff * 2, MAX_BACKOFF)


async def _end(process: Child | None) -> None:
    """SIGTERM to coturn's group, SIGKILL after ``STOP_TIMEOUT``."""
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


def _check_free(plan: RelayPlan) -> None:
    """Raises ``TurnError`` when another program holds one of the relay's ports (coturn would retry for ever)."""
    ports = [(plan.port, socket.SOCK_DGRAM), (plan.port, socket.SOCK_STREAM)]
    if plan.tls is not None:
        ports += [(plan.tls[2], socket.SOCK_DGRAM), (plan.tls[2], socket.SOCK_STREAM)]
    for port, kind in ports:
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:  # a listener's old connections in TIME_WAIT take nothing
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                protocol = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
                raise TurnError(f"webrtc.turn: {protocol} port {port} is taken") from None


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


BINDING_REQUEST, BINDING_SUCCESS, MAGIC_COOKIE = 0x0001, 0x0101, 0x2112A442


def _answers(port: int, process: Child, timeout: float) -> bool:
    """Blocking: whether coturn answers a STUN binding request on ``port`` before ``timeout`` (or its exit)."""
    transaction = secrets.token_bytes(12)
    request = struct.pack("!HHI12s", BINDING_REQUEST, 0, MAGIC_COOKIE, transaction)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.1)
        while time.monotonic() < deadline and process.returncode is None:
            probe.sendto(request, ("127.0.0.1", port))
            with contextlib.suppress(OSError):  # a timeout, or the port refusing while coturn starts
                answer = probe.recv(2048)
                if answer[:2] == struct.pack("!H", BINDING_SUCCESS) and answer[8:20] == transaction:
                    return True
    return False


def _last_line(log_file: Path) -> str:
    """coturn's last word in its log (its SCTP probe's noise left out)."""
    with contextlib.suppress(OSError):
        lines = [line.strip() for line in log_file.read_text(errors="replace").splitlines()]
        said = [line for line in lines if line and "Protocol not supported" not in line]
        if said:
            return said[-1].removeprefix("0: : ")
    return "nothing in its log"
