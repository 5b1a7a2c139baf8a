"""WebSocket scenarios: disconnect-to-close (5), memory (6), fan-out (7)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import websockets

from .http import Connection, login_many
from .progress import progress
from .servers import API_TOKEN, USER_PASSWORD, Server
from .sockets import Fleet

SETTLE_SECONDS = 1.0  # after a ramp, let queued broadcasts drain before reading RSS


def ws_options() -> dict[str, Any]:
    """The probe's full client. No compression: see docs/benchmarks.md (per-socket memory with permessage-deflate)."""
    return {"max_size": None, "compression": None, "ping_interval": None, "open_timeout": 60, "close_timeout": 5}


@dataclass(frozen=True)
class RssPoint:
    """Server RSS once ``sockets`` are open, with what connecting them took (time, CPU, server-side closes)."""

    sockets: int
    sessions: int
    rss_kib: int
    seconds: float
    server_cpu: float
    client_cpu: float
    closed: int
    note: str = ""  # why the ramp stopped short of its target


@dataclass
class WsResult:
    """One server's WebSocket figures; lists indexed by round hold that round's samples."""

    kind: str
    rss_fresh_kib: int = 0
    sessions: int = 0
    rss_sessions_kib: int = 0
    rss_points: list[RssPoint] = field(default_factory=list)
    init_ms: list[list[float]] = field(default_factory=list)  # probe connect -> its system/init
    close_ms: list[list[float]] = field(default_factory=list)  # disconnect POST -> connection closed
    notice_ms: list[list[float]] = field(default_factory=list)  # disconnect POST -> system/disconnect
    # (sockets, round (0: after the ramp), ms until the last got it in trigger order: connect, disconnect, ...,
    # arrivals missed)
    fanout: list[tuple[int, int, list[float], int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a ramp that added no socket at all


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


ORDERS = ("interleaved", "logins-first")
LOGIN_CONCURRENCY = 64


@dataclass
class Ramp:
    """How far a ramp got: sockets open, sessions logged in, seconds spent, why it stopped early."""

    sockets: int
    sessions: int
    seconds: float = 0.0
    note: str = ""
    last_batch: float = 0.0  # seconds; the next batch costs at least as much


def ramp(
    server: Server, fleet: Fleet, target: int, have: Ramp, budget: float, order: str = "interleaved", batch: int = 500
) -> Ramp:
    """Log in and connect sockets in batches toward ``target`` while the next batch fits in ``budget`` seconds.

    ``interleaved`` logs in one batch, then connects it: each ``system/init`` lists only the sessions so far,
    but every login is broadcast to the sockets already there. ``logins-first`` logs everyone in first (no
    socket hears those logins beyond the ones connected before), then each init lists every session.
    """
    began = time.perf_counter()
    done = Ramp(have.sockets, have.sessions, last_batch=have.last_batch)
    waiting: list[str] = []
    if order == "logins-first":
        waiting = _login(server, target - have.sockets, "ramp")
        done.sessions += len(waiting)
    while done.sockets < target:
        spent = time.perf_counter() - began
        if spent + done.last_batch * 1.5 > budget:  # batches grow dearer with the count: a margin for the next one
            done.note = f"stopped at {done.sockets:,} of {target:,}: the next batch would overrun {budget:.0f} s"
            break
        size = min(batch, target - done.sockets)
        step = time.perf_counter()
        if order == "logins-first":
            tokens, waiting = waiting[:size], waiting[size:]
        else:
            tokens = _login(server, size, f"ramp{done.sockets}-")
            done.sessions += size
        logged_in = time.perf_counter()
        connected, failed = fleet.connect(tokens)
        done.sockets += connected
        now = time.perf_counter()
        done.last_batch = now - step
        progress(
            f"  {server.kind}: {done.sockets:,} sockets after {now - began:.1f} s"
            f" (this batch: logins {logged_in - step:.1f} s, connects {now - logged_in:.1f} s)"
        )
        if failed:
            done.note = f"{failed} sockets failed to connect at {done.sockets:,}"
            break
    done.seconds = time.perf_counter() - began
    return done


def _login(server: Server, count: int, prefix: str) -> list[str]:
    # Many logins in flight: a server that coalesces writes per loop turn sends one write per socket for them.
    creds = asyncio.run(login_many(server.host, server.port, count, USER_PASSWORD, prefix, LOGIN_CONCURRENCY))
    return [token for _, token in creds]


class Rig:
    """A server with ``sockets`` other clients connected and one probe session, measured in rounds."""

    def __init__(self, server: Server, sockets: int) -> None:
        self.server = server
        self.result = WsResult(server.kind, rss_fresh_kib=server.rss_kib())
        creds = asyncio.run(login_many(server.host, server.port, sockets + 1, USER_PASSWORD, prefix="ws"))
        (self.probe_id, self.probe_token), others = creds[0], [token for _, token in creds[1:]]
        time.sleep(SETTLE_SECONDS)
        self.result.sessions, self.result.rss_sessions_kib = len(creds), server.rss_kib()
        self.fleet = Fleet(server.host, server.port)
        began, cpu = time.perf_counter(), self._cpu()
        connected, _failed = self.fleet.connect(others)
        self.state = Ramp(connected, len(creds), time.perf_counter() - began)
        self._record_rss(self.state, cpu)

    def measure(self, round_no: int, iterations: int, repeats: int) -> None:
        """Scenarios 5 and 7 once more at the current socket count."""
        closing = disconnect_to_close(self.server, self.fleet, self.probe_id, self.probe_token, iterations)
        inits, notices, closes = asyncio.run(closing)
        self.result.init_ms.append(inits)
        self.result.notice_ms.append(notices)
        self.result.close_ms.append(closes)
        self._fanout(round_no, repeats)

    def grow(self, stops: list[int], budget: float, repeats: int, order: str) -> int:
        """Scenarios 6 and 7 at each count in ``stops`` while ``budget`` seconds last; the count reached."""
        began = time.perf_counter()
        for stop in stops:
            if stop <= self.state.sockets:
                continue
            cpu = self._cpu()
            left = budget - (time.perf_counter() - began)
            reached = ramp(self.server, self.fleet, stop, self.state, left, order)
            if reached.sockets <= self.state.sockets:
                self.result.notes.append(reached.note)
                break
            self.state = reached
            self._record_rss(reached, cpu)
            self._fanout(0, repeats)
            if reached.note:
                break
        return self.state.sockets

    def _fanout(self, round_no: int, repeats: int) -> None:
        sockets, samples, missed = asyncio.run(
            fanout(self.server, self.fleet, self.probe_id, self.probe_token, repeats)
        )
        self.result.fanout.append((sockets, round_no, samples, missed))

    def _cpu(self) -> tuple[float, float]:
        return self.server.cpu_seconds(), self.fleet.cpu_seconds()

    def _record_rss(self, state: Ramp, cpu_before: tuple[float, float]) -> None:
        """RSS now, with the time and the CPU (server, clients) spent since ``cpu_before``."""
        server_cpu, client_cpu = (after - before for after, before in zip(self._cpu(), cpu_before, strict=True))
        time.sleep(SETTLE_SECONDS)
        open_sockets, closed = self.fleet.counts()
        rss = self.server.rss_kib()
        self.result.rss_points.append(
            RssPoint(open_sockets, state.sessions, rss, state.seconds, server_cpu, client_cpu, closed, state.note)
        )

    def kill(self) -> None:
        # Kill, not close: orderly closes make the server broadcast each departure to everyone left.
        self.server.process.kill()
        self.server.process.wait(10)
        self.fleet.kill()
