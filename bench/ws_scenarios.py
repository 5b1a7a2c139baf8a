"""WebSocket scenarios: disconnect-to-close (5), memory (6), fan-out (7)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import websockets

from .http import Connection, login_many
from .servers import API_TOKEN, USER_PASSWORD, Server
from .sockets import Fleet, ws_options

SETTLE_SECONDS = 1.0  # after a ramp, let queued broadcasts drain before reading RSS


@dataclass
class WsResult:
    """One server's WebSocket figures; lists indexed by round hold that round's samples."""

    kind: str
    rss_fresh_kib: int = 0
    sessions: int = 0
    rss_sessions_kib: int = 0
    # (sockets connected, RSS KiB, seconds connecting took, server CPU s, client CPU s, sockets the server closed)
    rss_points: list[tuple[int, int, float, float, float, int]] = field(default_factory=list)
    init_ms: list[list[float]] = field(default_factory=list)  # probe connect -> its system/init
    close_ms: list[list[float]] = field(default_factory=list)  # disconnect POST -> connection closed
    notice_ms: list[list[float]] = field(default_factory=list)  # disconnect POST -> system/disconnect
    # (sockets, round (0: after the ramp), ms until the last got it in trigger order: connect, disconnect, ...,
    # arrivals missed)
    fanout: list[tuple[int, int, list[float], int]] = field(default_factory=list)
    ramp_note: str = ""


def _ws_url(server: Server, token: str) -> str:
    return f"ws://127.0.0.1:{server.port}/api/ws?token={token}"


async def _read_until_closed(ws: websockets.ClientConnection) -> float:
    """The moment the server's ``system/disconnect`` arrived (perf_counter), reading on until closed."""
    noticed = 0.0
    with contextlib.suppress(websockets.ConnectionClosed):
        async for message in ws:
            if not noticed and '"system/disconnect"' in message:
                noticed = time.perf_counter()
    return noticed


async def disconnect_to_close(
    server: Server, fleet: Fleet, probe_id: str, probe_token: str, iterations: int
) -> tuple[list[float], list[float], list[float]]:
    """(connect -> init, disconnect POST -> system/disconnect, POST -> closed) in ms, ``iterations`` times."""
    loop = asyncio.get_running_loop()
    http = Connection(server.host, server.port)
    inits: list[float] = []
    closes: list[float] = []
    notices: list[float] = []
    try:
        for _ in range(iterations):
            # Every other socket is told the probe arrived; start timing only once they all have it.
            fleet.arm("session/state", f'"id":"{probe_id}"')
            began = time.perf_counter()
            ws = await websockets.connect(_ws_url(server, probe_token), **ws_options())
            await ws.recv()  # system/init
            inits.append((time.perf_counter() - began) * 1000)
            await loop.run_in_executor(None, fleet.observe, 10.0)
            reader = asyncio.create_task(_read_until_closed(ws))
            began = time.perf_counter()
            reply = await http.request("POST", f"/api/sessions/{probe_id}/disconnect", token=API_TOKEN)
            if reply.status != 204:
                raise RuntimeError(f"disconnect answered {reply.status}")
            noticed = await asyncio.wait_for(reader, 10)
            closes.append((time.perf_counter() - began) * 1000)
            notices.append((noticed - began) * 1000 if noticed else float("nan"))  # NaN: closed without notice
    finally:
        await http.close()
    return inits, notices, closes


async def fanout(
    server: Server, fleet: Fleet, probe_id: str, probe_token: str, repeats: int
) -> tuple[int, list[float], int]:
    """(sockets, ms until the last of them got the probe's ``session/state``, arrivals missed).

    Triggers alternate: the probe connects, then an admin disconnects it.
    """
    loop = asyncio.get_running_loop()
    http = Connection(server.host, server.port)
    samples: list[float] = []
    missed = armed = 0
    ws = None
    try:
        for i in range(repeats):
            armed = fleet.arm("session/state", f'"id":"{probe_id}"')
            began = time.monotonic()
            if i % 2 == 0:
                ws = await websockets.connect(_ws_url(server, probe_token), **ws_options())
                reader = asyncio.create_task(_read_until_closed(ws))
            else:
                await http.request("POST", f"/api/sessions/{probe_id}/disconnect", token=API_TOKEN)
            arrivals = await loop.run_in_executor(None, fleet.observe, 10.0)
            missed += armed - len(arrivals)
            # NaN keeps the connect/disconnect alternation of the samples when no socket got the event.
            samples.append((arrivals[-1] - began) * 1000 if arrivals else float("nan"))
            if i % 2 == 1:
                await asyncio.wait_for(reader, 10)
            await asyncio.sleep(0.05)
    finally:
        await http.close()
        if ws is not None:
            await ws.close()
    return armed, samples, missed


def ramp(
    server: Server, fleet: Fleet, target: int, have: int, budget: float, batch: int = 250
) -> tuple[int, float, str]:
    """Log in and connect more sockets in batches until ``target`` or ``budget`` seconds; (reached, seconds, note)."""
    began = time.perf_counter()
    reached = have
    while reached < target:
        if time.perf_counter() - began > budget:
            return (
                reached,
                time.perf_counter() - began,
                f"stopped at {reached} of {target}: ramp budget {budget:.0f} s spent",
            )
        size = min(batch, target - reached)
        creds = asyncio.run(login_many(server.host, server.port, size, USER_PASSWORD, prefix=f"ramp{reached}-"))
        connected, failed = fleet.connect([token for _, token in creds])
        reached += connected
        if failed:
            return reached, time.perf_counter() - began, f"{failed} sockets failed to connect at {reached}"
    return reached, time.perf_counter() - began, ""


class Rig:
    """A server with ``sockets`` other clients connected and one probe session, measured in rounds."""

    def __init__(self, server: Server, sockets: int) -> None:
        self.server = server
        self.result = WsResult(server.kind, rss_fresh_kib=server.rss_kib())
        creds = asyncio.run(login_many(server.host, server.port, sockets + 1, USER_PASSWORD, prefix="ws"))
        (self.probe_id, self.probe_token), others = creds[0], creds[1:]
        time.sleep(SETTLE_SECONDS)
        self.result.sessions, self.result.rss_sessions_kib = len(creds), server.rss_kib()
        self.fleet = Fleet(f"ws://127.0.0.1:{server.port}/api/ws", processes=4)
        began, cpu = time.perf_counter(), self._cpu()
        self.connected, _failed = self.fleet.connect([token for _, token in others])
        self._record_rss(time.perf_counter() - began, cpu)

    def measure(self, round_no: int, iterations: int, repeats: int) -> None:
        """Scenarios 5 and 7 once more at the current socket count."""
        closing = disconnect_to_close(self.server, self.fleet, self.probe_id, self.probe_token, iterations)
        inits, notices, closes = asyncio.run(closing)
        self.result.init_ms.append(inits)
        self.result.notice_ms.append(notices)
        self.result.close_ms.append(closes)
        self._fanout(round_no, repeats)

    def grow(self, target: int, budget: float, repeats: int) -> None:
        """Scenarios 6 and 7 toward ``target`` sockets, as far as ``budget`` seconds allow."""
        cpu = self._cpu()
        reached, seconds, self.result.ramp_note = ramp(self.server, self.fleet, target, self.connected, budget)
        if reached > self.connected:
            self._record_rss(seconds, cpu)
            self._fanout(0, repeats)

    def _fanout(self, round_no: int, repeats: int) -> None:
        sockets, samples, missed = asyncio.run(
            fanout(self.server, self.fleet, self.probe_id, self.probe_token, repeats)
        )
        self.result.fanout.append((sockets, round_no, samples, missed))

    def _cpu(self) -> tuple[float, float]:
        return self.server.cpu_seconds(), self.fleet.cpu_seconds()

    def _record_rss(self, seconds: float, cpu_before: tuple[float, float]) -> None:
        """RSS now, with the time and the CPU (server, clients) spent since ``cpu_before``."""
        server_cpu, client_cpu = (after - before for after, before in zip(self._cpu(), cpu_before, strict=True))
        time.sleep(SETTLE_SECONDS)
        open_sockets, closed = self.fleet.counts()
        point = (open_sockets, self.server.rss_kib(), seconds, server_cpu, client_cpu, closed)
        self.result.rss_points.append(point)

    def kill(self) -> None:
        # Kill, not close: orderly closes make the server broadcast each departure to everyone left.
        self.server.process.kill()
        self.server.process.wait(10)
        self.fleet.kill()
