"""One producer thread, many listeners on the event loop: the encoded packets of one stream.

A stage starts with its first listener and stops after its last one (Neko's pipelines do
the same), so an id nobody watches costs nothing. A producer that fails (or ends on its own)
while someone listens is started again, after a pause that doubles up to ``RESTART_MAX``;
``failing`` says what is wrong once it has been failing for a while, for /health.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[Any], None]
RESTART_MIN = 0.05  # s: the first retry comes at once (a grab that raced a screen change)
RESTART_MAX = 5.0
HEALTHY_RUN = 10.0  # s of running that reset the back-off


@dataclass(frozen=True)
class Failure:
    problem: str
    since: float  # monotonic: the first failure of this streak


class Fanout:
    """Runs ``produce(stop_event, emit)`` in a thread while anyone listens."""

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop) -> None:
        self.name = name
        self._loop = loop
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.failure: Failure | None = None
        self.restarts = 0

    def produce(self, stop: threading.Event, emit: Callable[[Any], None]) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def add(self, listener: Listener) -> None:
        self._listeners.append(listener)
        if not self.running:
            self._start()

    def remove(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
        if not self._listeners:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread = None
        self.failure = None
        self.interrupt()

    def interrupt(self) -> None:
        """Wakes a producer that waits (for the screen to change, say), so it sees ``stop`` at once."""

    def failing(self, grace: float) -> str | None:
        """What is wrong, if someone listens and nothing has been produced for ``grace`` s of failures."""
        failure = self.failure
        if failure is None or not self._listeners or time.monotonic() - failure.since < grace:
            return None
        return failure.problem

    def _start(self) -> None:
        self._stop = stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(stop,), name=f"media-{self.name}", daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        pause = RESTART_MIN
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.produce(stop, lambda item: self._emit(stop, item))
                problem = "ended"
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if self.failure is None:
                    log.exception("media stage %s failed; starting it again", self.name)
            if stop.is_set():
                return
            if self.failure is None:
                self.failure = Failure(problem, time.monotonic())
            else:
                self.failure = Failure(problem, self.failure.since)
            log.warning("media stage %s: %s; again in %.2f s", self.name, problem, pause)
            if time.monotonic() - started > HEALTHY_RUN:
                pause = RESTART_MIN
            stop.wait(pause)
            pause = min(pause * 2, RESTART_MAX)
            self.restarts += 1

    def _emit(self, stop: threading.Event, item: Any) -> None:
        if not stop.is_set():
            self.failure = None
            self._loop.call_soon_threadsafe(self._deliver, item)

    def _deliver(self, item: Any) -> None:
        for listener in list(self._listeners):
            listener(item)
