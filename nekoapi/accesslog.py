"""The server's log output: lines built cheaply on the event loop, written in batches by a thread.

Through ``logging``, the one access line per request cost ~30 us of CPU (a
LogRecord, two filters, strftime, and a locked write and flush per line): a
third of the throughput. Here an access line is one f-string with a timestamp
cached per second, handed to a deque; a writer thread joins what accumulated
and writes it once every ``BATCH_DELAY`` seconds. The event loop never waits
on the terminal, a pipe or a disk. Every other record goes through the same
deque (formatted as usual), so lines keep their order.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

ACCESS_LOGGER = "nekoapi.access"


class LineWriter:
    """Lines from any thread, written to ``stream`` by a thread of its own."""

    BATCH_DELAY = 0.05  # seconds: at most 20 writes a second, however many requests

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lines: deque[str] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="nekoapi-log-writer", daemon=True).start()
        atexit.register(self.flush)  # what the last batch holds when the process ends

    def put(self, line: str) -> None:
        self._lines.append(line)
        if not self._wake.is_set():
            self._wake.set()

    def flush(self) -> None:
        with self._lock:
            lines = self._lines
            batch = [lines.popleft() for _ in range(len(lines))]
            if batch:
                self.stream.write("\n".join(batch) + "\n")
                self.stream.flush()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.BATCH_DELAY)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a closed or broken stream: the lines are lost, the server is not
                self._lines.clear()


class WriterHandler(logging.Handler):
    """A ``logging`` handler that formats as usual and hands the line to a ``LineWriter``."""

    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.put(self.format(record))
        except Exception:
            self.handleError(record)


class Stamps:
    """A line's time as ``log.time`` asks: Neko's ``unix``, ``unixms`` and ``unixmicro`` are whole
    numbers; ``iso`` is the date and time (local, ``2006-01-02 15:04:05,000``; UTC ISO 8601 in JSON),
    its text made once per second."""

    def __init__(self, time_format: str = "iso", *, json: bool = False) -> None:
        self.scale = UNIX_SCALES.get(time_format)
        self.json = json
        self._cached = (-1, "")  # (second, its text): one tuple, so threads never see half of it

    def of(self, created: float) -> str | int:
        if self.scale is not None:
            return int(created * self.scale)
        second = int(created)
        cached_second, text = self._cached
        if second != cached_second:
            text = self._text_of(second)
            self._cached = (second, text)
        ms = int((created - second) * 1000)
        return f"{text}.{ms:03d}+00:00" if self.json else f"{text},{ms:03d}"

    def _text_of(self, second: int) -> str:
        if self.json:
            return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))


UNIX_SCALES = {"unix": 1, "unixms": 1000, "unixmicro": 1_000_000}
# A level's colour in plain lines on a terminal, as Neko's console writer (zerolog) colours them.
LEVEL_COLOURS = {"DEBUG": "33", "INFO": "32", "WARNING": "31", "ERROR": "1;31", "CRITICAL": "1;31"}


def coloured(level: str, colour: bool) -> str:
    code = LEVEL_COLOURS.get(level) if colour else None
    return f"\x1b[{code}m{level}\x1b[0m" if code else level


class AccessLines:
    """Access lines exactly as ``logs.PlainFormatter`` / ``logs.JsonFormatter`` would print them."""

    def __init__(self, writer: LineWriter, *, json: bool, time_format: str = "iso", colour: bool = False) -> None:
        self.writer = writer
        self.json = json
        self.stamps = Stamps(time_format, json=json)
        self._info = coloured("INFO", colour)

    def write(
        self, method: str, path: str, status: int, elapsed: float, operation: str, client: str, session: Any
    ) -> None:
        stamp = self.stamps.of(time.time())
        message = f"{method} {path} {status} {elapsed * 1000:.1f}ms {operation} client={client}"
        if not self.json:
            line = f"{stamp} {self._info} {ACCESS_LOGGER}: {message}"
            self.writer.put(f"{line} session={session}" if session else line)
            return
        entry: dict[str, Any] = {"time": stamp, "level": "info", "logger": ACCESS_LOGGER, "message": message}
        if session:
            entry["session_id"] = session
        entry.update(
            method=method,
            path=path,
            status=status,
            duration_ms=round(elapsed * 1000, 3),
            operation=operation,
            client=client,
        )
        self.writer.put(orjson.dumps(entry).decode())
