"""One X connection served by one thread: its events, and calls other threads hand it.

python-xlib connections are not thread-safe, so everything a long-lived X client
does (owning the clipboard, watching for dialogs) happens on that client's own
thread. Other threads (and the event loop, through ``acall``) queue callables,
which run between two batches of events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import select
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from Xlib import error as xerror
from Xlib.display import Display

from .. import errors

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long the loop sleeps when nothing happens (it wakes at once for events and calls).
IDLE_WAIT = 0.5


class XLoop:
    def __init__(self, display_name: str, name: str, on_event: Callable[[Any], None]) -> None:
        self.display = Display(display_name)  # raises when the display is not there
        self._name = name
        self._on_event = on_event
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopped.is_set()

    def start(self) -> None:
        self._thread.start()

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        """Runs ``fn`` on the loop's thread; raises ``DesktopUnavailable`` if the loop is gone or too slow."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if not self.alive:
            raise errors.DesktopUnavailable(f"{self._name}: X connection is closed")
        self._calls.put((fn, future))
        self._wake()
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise errors.DesktopUnavailable(f"{self._name}: X server did not answer in time") from None

    async def acall(self, fn: Callable[[], T], timeout: float) -> T:
        return await asyncio.to_thread(self.call, fn, timeout)

    def stop(self) -> None:
        self._stopped.set()
        self._wake()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(2.0)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # the loop has ended and closed its pipe
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                self._run_calls()
                self._dispatch_events()
                self._wait()
        except (xerror.ConnectionClosedError, OSError) as exc:
            log.warning("%s: X connection lost: %s", self._name, exc)
        finally:
            self._stopped.set()
            self._fail_pending()
            self._close()

    def _run_calls(self) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except (xerror.ConnectionClosedError, OSError):
                future.set_exception(errors.DesktopUnavailable(f"{self._name}: X connection lost"))
                raise
            except Exception as exc:
                future.set_exception(exc)

    def _dispatch_events(self) -> None:
        display = self.display
        while display.pending_events():
            event = display.next_event()
            try:
                self._on_event(event)
            except (xerror.ConnectionClosedError, OSError):
                raise
            except Exception:
                log.exception("%s: handling %s failed", self._name, type(event).__name__)

    def _wait(self) -> None:
        readable, _, _ = select.select([self.display.fileno(), self._wake_r], [], [], IDLE_WAIT)
        if self._wake_r in readable:
            os.read(self._wake_r, 4096)

    def _fail_pending(self) -> None:
        while True:
            try:
                _, future = self._calls.get_nowait()
            except queue.Empty:
                return
            future.set_exception(errors.DesktopUnavailable(f"{self._name}: X connection is closed"))

    def _close(self) -> None:
        try:
            self.display.close()
        except Exception:  # the connection may already be gone
            log.debug("%s: closing the X connection failed", self._name)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)


class OnXLoop:
    """A watcher that lives on its own ``XLoop``: alive while the loop runs, and closed with it."""

    _loop: XLoop

    @property
    def alive(self) -> bool:
        return self._loop.alive

    def close(self) -> None:
        self._loop.stop()
