"""The recordings' directory: names, the listing, and the size and age limits. Blocking: run in threads.

A recording's name is ours (``room-20261207-235900.webm``, later segments ``-2``, ``-3``...): a name that
does not look like one is refused before any path is made of it, so no request reaches outside the
directory; symbolic links and other non-regular files are never served.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import av

from .. import errors

NAME = re.compile(r"room-\d{8}-\d{6}(?:-\d{1,4})?\.(?:webm|mp4)")


@dataclass(frozen=True)
class RecordingFile:
    name: str
    size: int
    created: float  # s since the epoch
    duration: float | None  # s, when the file says

    def data(self) -> dict[str, object]:
        body: dict[str, object] = {"name": self.name, "size": self.size, "created": _iso(self.created)}
        if self.duration is not None:
            body["duration"] = round(self.duration, 3)
        return body


def base_name(now: float, container: str) -> str:
    return time.strftime("room-%Y%m%d-%H%M%S", time.gmtime(now)) + f".{container}"


def segment_name(base: str, number: int) -> str:
    if number == 1:
        return base
    stem, _, extension = base.rpartition(".")
    return f"{stem}-{number}.{extension}"


class RecordingDirectory:
    def __init__(self, path: str, max_bytes: int, max_age: float) -> None:
        self.path = Path(path)
        self.max_bytes, self.max_age = max_bytes, max_age

    def make(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise errors.RecordingFailed(f"recording could not start: {self.path}: {exc.strerror}") from None

    def file(self, name: str) -> Path:
        """The path of an existing recording; raises ``RecordingNameInvalid`` or ``RecordingNotFound``."""
        if not NAME.fullmatch(name):
            raise errors.RecordingNameInvalid()
        path = self.path / name
        try:
            mode = path.lstat().st_mode
        except OSError:
            raise errors.RecordingNotFound() from None
        if not stat.S_ISREG(mode):
            raise errors.RecordingNotFound()
        return path

    def listing(self) -> list[RecordingFile]:
        """Oldest first."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for path in self.path.iterdir():
                with contextlib.suppress(OSError):
                    info = path.lstat()
                    if NAME.fullmatch(path.name) and stat.S_ISREG(info.st_mode):
                        created = min(_started(path.name), info.st_mtime)
                        found.append(RecordingFile(path.name, info.st_size, created, _duration(path)))
        return sorted(found, key=lambda f: (f.name[:20], _segment(f.name)))

    def delete(self, name: str) -> None:
        self.file(name).unlink(missing_ok=True)

    def prune(self, keep: frozenset[str] = frozenset()) -> list[str]:
        """Removes the oldest recordings beyond ``max_age`` and ``max_bytes``, never one in ``keep``."""
        files = [f for f in self.listing() if f.name not in keep]
        total = sum(f.size for f in self.listing())
        removed = []
        for old in files:
            too_old = self.max_age > 0 and time.time() - old.created > self.max_age
            too_big = self.max_bytes > 0 and total > self.max_bytes
            if not (too_old or too_big):
                continue
            with contextlib.suppress(OSError):
                (self.path / old.name).unlink()
                total -= old.size
                removed.append(old.name)
        return removed


def _duration(path: Path) -> float | None:
    try:
        with av.open(str(path)) as container:
            return container.duration / 1_000_000 if container.duration is not None else None
    except (OSError, av.error.FFmpegError):
        return None  # still being written, or cut short


def _segment(name: str) -> int:
    """1 for a recording's first file, then 2, 3...: ``room-20261207-235900-2.webm`` is the second."""
    stem = name.rpartition(".")[0]
    return int(stem[21:]) if len(stem) > 20 else 1


def _started(name: str) -> float:
    """When the recording started, from its name (UTC)."""
    return float(calendar.timegm(time.strptime(name[5:20], "%Y%m%d-%H%M%S")))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
