"""Thousands of lean WebSocket clients (bench/rawws.py) in a process pinned to the load core.

The clients read every frame (a client that stops reading would be closed as
too slow) but only parse frame headers; when asked, each records the moment it
receives one marked ``session/state`` frame. Arrival times are
``time.monotonic()``, one system-wide clock on Linux, so they compare with the
trigger time taken in the harness process.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import rawws
from .servers import LOAD_CORE

# Handshakes in flight over the whole fleet: enough that a server coalescing its writes per
# event-loop turn sends one write per socket for many connects, few enough not to queue for long.
CONNECT_CONCURRENCY = 48


class _Worker:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.clients: list[rawws.RawClient] = []
        self.arrivals: list[float] = []
        self.done = asyncio.Event()
        self._expected = 0

    async def connect(self, tokens: list[str], concurrency: int) -> tuple[int, int]:
        gate = asyncio.Semaphore(max(concurrency, 1))

        async def one(token: str) -> bool:
            async with gate:
                client = await rawws.connect(self.host, self.port, f"/api/ws?token={token}")
            if client is not None:
                self.clients.append(client)
            return client is not None

        connected = sum(await asyncio.gather(*(one(token) for token in tokens)))
        return connected, len(tokens) - connected

    def open_clients(self) -> list[rawws.RawClient]:
        return [c for c in self.clients if not c.closed.done()]

    def arm(self, event: bytes, needle: bytes) -> int:
        self.arrivals, self.done = [], asyncio.Event()
        armed = self.open_clients()
        for client in armed:
            client.watch, client.on_marker = (event, needle), self._arrived
        self._expected = len(armed)
        if not armed:
            self.done.set()
        return len(armed)

    def _arrived(self, _client: rawws.RawClient, at: float) -> None:
        self.arrivals.append(at)
        if len(self.arrivals) >= self._expected:
            self.done.set()

    async def observe(self, timeout: float) -> list[float]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout)
        for client in self.clients:
            client.watch = None
        return sorted(self.arrivals)

    def counts(self) -> tuple[int, int]:
        open_clients = self.open_clients()
        return len(open_clients), sum(c.closed_by_server for c in self.clients)


async def _serve(conn: Connection, host: str, port: int) -> None:
    worker = _Worker(host, port)
    loop = asyncio.get_running_loop()
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            conn.send(await worker.connect(args[0], args[1]))
        elif command == "arm":
            conn.send(worker.arm(args[0], args[1]))
        elif command == "observe":
            conn.send(await worker.observe(args[0]))
        elif command == "count":
            conn.send(worker.counts())
        else:
            return


FLEET_NICENESS = 5


def _worker_main(conn: Connection, host: str, port: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(0, {int(LOAD_CORE)})
    # The probe that times a close shares the load core with these clients; it is the
    # instrument, they are the load, so it gets the core first when both wake at once.
    with contextlib.suppress(OSError):
        os.nice(FLEET_NICENESS)
    try:
        import uvloop
    except ImportError:  # the stdlib loop works too, only slower per read
        asyncio.run(_serve(conn, host, port))
    else:
        uvloop.run(_serve(conn, host, port))


class Fleet:
    """Client sockets in ``processes`` worker processes, connected to one server."""

    def __init__(self, host: str, port: int, processes: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []
        for _ in range(processes):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_worker_main, args=(theirs, host, port), daemon=True)
            proc.start()
            self._pipes.append(mine)
            self._procs.append(proc)

    def _ask_all(self, message: tuple[Any, ...] | list[tuple[Any, ...]], timeout: float) -> list[Any]:
        messages = message if isinstance(message, list) else [message] * len(self._pipes)
        for pipe, msg in zip(self._pipes, messages, strict=True):
            pipe.send(msg)
        replies = []
        for pipe in self._pipes:
            if not pipe.poll(timeout):
                raise TimeoutError("a socket worker did not answer")
            replies.append(pipe.recv())
        return replies

    def connect(
        self, tokens: list[str], concurrency: int = CONNECT_CONCURRENCY, timeout: float = 600.0
    ) -> tuple[int, int]:
        """Connect one socket per token, each until its whole ``system/init``; (connected, failed)."""
        n = len(self._pipes)
        shares = [("connect", tokens[i::n], -(-concurrency // n)) for i in range(n)]
        replies = self._ask_all(shares, timeout)
        return sum(r[0] for r in replies), sum(r[1] for r in replies)

    def counts(self) -> tuple[int, int]:
        """(open sockets, sockets the server closed) over all workers."""
        replies = self._ask_all(("count",), 30)
        return sum(r[0] for r in replies), sum(r[1] for r in replies)

    def arm(self, event: str, needle: str) -> int:
        """Watch for the next text frame whose head holds both strings; the number of sockets armed."""
        return sum(self._ask_all(("arm", f'"{event}"'.encode(), needle.encode()), 30))

    def observe(self, timeout: float) -> list[float]:
        """Arrival times (monotonic) of the armed frame, every socket that got it within ``timeout``."""
        replies = self._ask_all(("observe", timeout), timeout + 30)
        return sorted(t for r in replies for t in r)

    def cpu_seconds(self) -> float:
        """User plus system CPU time the worker processes have used so far."""
        total = 0
        for proc in self._procs:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        # Killing beats closing: every orderly close makes the server broadcast to all the others.
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.join(10)
