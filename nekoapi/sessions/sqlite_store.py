"""Sessions kept in an embedded SQLite file (``session.file``), so a restart logs nobody out.

Lookups are served from memory as in the memory store. Every change is
written by one thread of its own, in order, off the event loop; the replica
awaits ``flush`` before a change is answered, so a crash loses nothing that was
answered. The file holds token digests only: a stolen file does not let anyone
log in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from ..models import MemberProfile
from .memory_store import MemorySessionStore
from .session import Session

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    token_digest BLOB NOT NULL UNIQUE,
    profile TEXT NOT NULL
)
"""


def _create_private(path: Path) -> None:
    """Only the server's user may read the file (ids, profiles, token digests), as the members database.

    SQLite gives its -wal and -shm files the database's mode; a file an older
    version left readable by everyone, with its companions, is tightened too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, 0o600)


class SqliteSessionStore(MemorySessionStore):
    def __init__(self, path: str) -> None:
        super().__init__()
        _create_private(Path(path))
        # Written from the writer thread, read once here and pinged from a worker thread.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # One thread: the writes keep their order, and a flush queued behind them waits for all of them.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-file")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        for session_id, digest, profile in self._db.execute("SELECT id, token_digest, profile FROM sessions"):
            super().add(Session(session_id, bytes(digest), MemberProfile.from_dict(orjson.loads(profile))))

    def add(self, session: Session) -> None:
        super().add(session)
        row = (session.id, session.token_digest, _profile(session))
        self._write("INSERT OR REPLACE INTO sessions (id, token_digest, profile) VALUES (?, ?, ?)", row)

    def remove(self, session: Session) -> None:
        super().remove(session)
        self._write("DELETE FROM sessions WHERE id = ?", (session.id,))

    def update(self, session: Session) -> None:
        """Persist a changed profile (called from a ``ProfileChanged`` subscriber)."""
        if self.get(session.id) is session:
            self._write("UPDATE sessions SET profile = ? WHERE id = ?", (_profile(session), session.id))

    async def flush(self) -> None:
        """Returns when every change made so far has been written (a write that failed is logged)."""
        await asyncio.wrap_future(self._writer.submit(_noop))

    async def ping(self) -> None:
        await asyncio.to_thread(lambda: self._db.execute("SELECT 1").fetchone())

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        self._writer.submit(self._execute, sql, args)

    def _execute(self, sql: str, args: tuple[Any, ...]) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.Error:
            log.exception("session.file: a write failed")


def _noop() -> None:
    return None


def _profile(session: Session) -> str:
    return orjson.dumps(session.profile.to_dict()).decode()
