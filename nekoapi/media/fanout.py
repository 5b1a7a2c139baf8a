"""One producer thread, many listeners on the event loop: the encoded packets of one stream.

A stage starts with its first listener and stops after its last one (Neko's pipelines do
the same), so an id nobody watches costs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[[Any], None]


class Fanout:
    """Runs ``produce(stop_event, emit)`` in a thread while anyone listens."""

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop) -> None:
        self.name = name
        self._loop = loop
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

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

    def restart(self) -> None:
        """After a screen change: a new producer picks up the new size."""
        if self.running:
            self.stop()
            self._start()

    def _start(self) -> None:
        self._stop = stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(stop,), name=f"media-{self.name}", daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        try:
            self.produce(stop, lambda item: self._emit(stop, item))
        except Exception:
            log.exception("media stage %s failed", self.name)

    def _emit(self, stop: threading.Event, item: Any) -> None:
        if not stop.is_set():
            self._loop.call_soon_threadsafe(self._deliver, item)

    def _deliver(self, item: Any) -> None:
        for listener in list(self._listeners):
            listener(item)
