"""Thousands of WebSocket clients, spread over a few processes pinned to the load core.

Each worker process holds a share of the sockets, reads every message (a
client that stops reading would be closed as too slow), and, when asked,
records the moment each of its sockets receives one marked message. Arrival
times are ``time.monotonic()``, which is one system-wide clock on Linux, so
they compare with the trigger time taken in the harness process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import websockets

from .servers import LOAD_CORE

CONNECT_CONCURRENCY = 32


def ws_options() -> dict[str, Any]:
    # No compression: see docs/benchmarks.md (per-socket memory with permessage-deflate).
    return {"max_size": None, "compression": None, "ping_interval": None, "open_timeout": 60, "close_timeout": 5}


@dataclass
class _Watch:
    marker: tuple[bytes, bytes] = (b"", b"")
    arrivals: dict[int, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class _Worker:
    def __init__(self, url: str) -> None:
        self.url = url
        self.sockets: dict[int, Any] = {}
        self.closed = 0
        self.watch: _Watch | None = None
        self._indices = itertools.count()

    async def connect(self, tokens: list[str]) -> tuple[int, int]:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        results = await asyncio.gather(*(self._connect_one(token, gate) for token in tokens))
        return sum(results), len(tokens) - sum(results)

    async def _connect_one(self, token: str, gate: asyncio.Semaphore) -> bool:
        async with gate:
            try:
                ws = await websockets.connect(f"{self.url}?token={token}", **ws_options())
                first = await asyncio.wait_for(ws.recv(decode=False), 60)
            except (OSError, TimeoutError, websockets.WebSocketException):
                return False
        if b'"system/init"' not in first[:64]:
            await ws.close()
            return False
        index = next(self._indices)
        self.sockets[index] = ws
        asyncio.get_running_loop().create_task(self._read(index, ws))
        return True

    async def _read(self, index: int, ws: Any) -> None:
        # Raw bytes: skipping UTF-8 decoding keeps the clients' share of the load core small.
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                message = await ws.recv(decode=False)
                watch = self.watch
                if watch is not None and index not in watch.arrivals:
                    event, needle = watch.marker
                    if event in message and needle in message:
                        watch.arrivals[index] = time.monotonic()
                        if len(watch.arrivals) >= len(self.sockets):
                            watch.done.set()
        self.sockets.pop(index, None)
        self.closed += 1

    async def observe(self, timeout: float) -> list[float]:
        assert self.watch is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.watch.done.wait(), timeout)
        arrivals, self.watch = sorted(self.watch.arrivals.values()), None
        return arrivals


async def _serve(conn: Connection, url: str) -> None:
    worker = _Worker(url)
    loop = asyncio.get_running_loop()
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            conn.send(await worker.connect(args[0]))
        elif command == "arm":
            worker.watch = _Watch(marker=(args[0].encode(), args[1].encode()))
            if not worker.sockets:
                worker.watch.done.set()
            conn.send(len(worker.sockets))
        elif command == "observe":
            conn.send(await worker.observe(args[0]))
        elif command == "count":
            conn.send((len(worker.sockets), worker.closed))
        else:
            return


def _worker_main(conn: Connection, url: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(0, {int(LOAD_CORE)})
    asyncio.run(_serve(conn, url))


class Fleet:
    """Client sockets in ``processes`` worker processes, connected to one server."""

    def __init__(self, url: str, processes: int = 4) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []
        for _ in range(processes):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_worker_main, args=(theirs, url), daemon=True)
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

    def connect(self, tokens: list[str], timeout: float = 300.0) -> tuple[int, int]:
        """Connect one socket per token, waiting for each ``system/init``; (connected, failed)."""
        shares = [("connect", tokens[i :: len(self._pipes)]) for i in range(len(self._pipes))]
        replies = self._ask_all(shares, timeout)
        return sum(r[0] for r in replies), sum(r[1] for r in replies)

    def counts(self) -> tuple[int, int]:
        """(open sockets, sockets the server closed) over all workers."""
        replies = self._ask_all(("count",), 30)
        return sum(r[0] for r in replies), sum(r[1] for r in replies)

    def arm(self, event: str, needle: str) -> int:
        """Start recording the first message containing both strings; the number of sockets armed."""
        return sum(self._ask_all(("arm", f'"{event}"', needle), 30))

    def observe(self, timeout: float) -> list[float]:
        """Arrival times (monotonic) of the armed message, every socket that got it within ``timeout``."""
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
