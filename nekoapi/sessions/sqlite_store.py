"""Sessions kept in an embedded SQLite file (``session.file``), so a restart logs nobody out.

Lookups are served from memory as in the memory store; every change is
written through at once, so a crash loses nothing that was answered. The
file holds token digests only: a stolen file does not let anyone log in.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson

from ..models import MemberProfile
from .memory_store import MemorySessionStore
from .session import Session

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
        # One event loop thread uses it, but tests build the app in another thread than they serve it.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        for session_id, digest, profile in self._db.execute("SELECT id, token_digest, profile FROM sessions"):
            super().add(Session(session_id, bytes(digest), MemberProfile.from_dict(orjson.loads(profile))))

    def add(self, session: Session) -> None:
        super().add(session)
        self._db.execute(
            "INSERT OR REPLACE INTO sessions (id, token_digest, profile) VALUES (?, ?, ?)",
            (session.id, session.token_digest, _profile(session)),
        )

    def remove(self, session: Session) -> None:
        super().remove(session)
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session.id,))

    def update(self, session: Session) -> None:
        """Persist a changed profile (called from a ``ProfileChanged`` subscriber)."""
        if self.get(session.id) is session:
            self._db.execute("UPDATE sessions SET profile = ? WHERE id = ?", (_profile(session), session.id))

    async def ping(self) -> None:
        self._db.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self._db.close()


def _profile(session: Session) -> str:
    return orjson.dumps(session.profile.to_dict()).decode()
