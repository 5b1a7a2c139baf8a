"""The ``sqlite`` provider (our default): a local file in WAL mode, fsynced on every commit."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .. import errors
from ..config import MemberConfig
from .passwords import Passwords
from .sql import SqlMemberProvider

TABLE = "members"


def create_sqlite_provider(config: MemberConfig) -> SqlMemberProvider:
    path = Path(config.sqlite.path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only the server's user may read the password hashes (SQLite's -wal/-shm files copy this mode).
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as exc:
        raise errors.StoreUnusable(f"member.sqlite.path: cannot open {path} ({exc.strerror})") from None
    return SqlMemberProvider(sqlite_engine(path), TABLE, Passwords(config), config.sqlite.admin_password)


def sqlite_engine(path: Path) -> AsyncEngine:
    # aiosqlite logs every statement with its parameters (password hashes) at DEBUG level.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # hide_parameters: nor may SQLAlchemy's log lines or error messages carry them.
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the API answers, so an acknowledged write survives a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        # Another process (the CLI) may hold the write lock for a moment.
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        # Take the write lock up front: a read-then-write transaction can then never fail half-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
