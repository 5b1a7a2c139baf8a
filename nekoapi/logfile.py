"""``log.dir``: the log written to a file in a folder, named and kept as Neko's ``cmd/root.go`` does.

The current log is ``neko-latest.log``; at start-up the previous one is renamed
``neko.<start time>.log`` (Go's ``2006-01-02T15-04-05Z07-00``), so each run has its own file.
Opened once at start-up, before anything is served; the writer thread (accesslog.py) writes it.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TextIO

LATEST = "neko-latest.log"


def open_log_file(folder: str, *, rotate: bool = True) -> TextIO:
    """``folder``/neko-latest.log for appending, made readable by this user only (lines name sessions)."""
    os.makedirs(folder, exist_ok=True)
    latest = os.path.join(folder, LATEST)
    if rotate and os.path.exists(latest):
        os.rename(latest, os.path.join(folder, f"neko.{_go_time(datetime.now().astimezone())}.log"))
    descriptor = os.open(latest, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return open(descriptor, "a", encoding="utf-8")


def _go_time(moment: datetime) -> str:
    """Go's ``2006-01-02T15-04-05Z07-00``: ``Z`` in UTC, else the offset as ``+01-00``."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    zone = "Z" if minutes == 0 else f"{'+' if minutes > 0 else '-'}{abs(minutes) // 60:02d}-{abs(minutes) % 60:02d}"
    return moment.strftime("%Y-%m-%dT%H-%M-%S") + zone
