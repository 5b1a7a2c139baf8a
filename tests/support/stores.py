"""Member stores for tests: each test gets its own SQLite file, JSON file or PostgreSQL table.

PostgreSQL tests skip when the database is unreachable, except under CI=true,
where an unreachable database fails the test instead of hiding it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

POSTGRES_URL = os.environ.get("NEKOAPI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SQL_STORES = ("sqlite", "postgres")
STORES = ("sqlite", "postgres", "file")


def require_service(name: str, url: str) -> None:
    """Skip (or, with CI=true, fail) unless something listens at ``url``'s host and port."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1).close()
    except OSError as exc:
        message = f"{name} is not reachable at {parts.hostname}:{parts.port} ({exc.strerror})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI=true: the test must run")
        pytest.skip(message)


@contextlib.asynccontextmanager
async def store_env(kind: str, directory: Path) -> AsyncIterator[dict[str, str]]:
    """The ``NEKO_MEMBER_*`` variables of a fresh, empty store of ``kind``; dropped afterwards."""
    if kind == "sqlite":
        yield {"NEKO_MEMBER_PROVIDER": "sqlite", "NEKO_MEMBER_SQLITE_PATH": str(directory / "members.db")}
    elif kind == "file":
        yield {"NEKO_MEMBER_PROVIDER": "file", "NEKO_MEMBER_FILE_PATH": str(directory / "members.json")}
    elif kind == "postgres":
        require_service("PostgreSQL", POSTGRES_URL)
        table = f"test_members_{uuid.uuid4().hex[:12]}"
        try:
            yield {
                "NEKO_MEMBER_PROVIDER": "postgres",
                "NEKO_MEMBER_POSTGRES_URL": POSTGRES_URL,
                "NEKO_MEMBER_POSTGRES_TABLE": table,
                "NEKO_MEMBER_POSTGRES_ADMIN_PASSWORD": "admin-secret",
            }
        finally:
            connection = await asyncpg.connect(POSTGRES_URL)
            try:
                await connection.execute(f'DROP TABLE IF EXISTS "{table}"')
            finally:
                await connection.close()
    else:  # pragma: no cover
        raise ValueError(kind)


def seed_neko_file(path: Path, admin_password: str) -> None:
    """A members file as Neko writes it: one administrator, password as base64(SHA-256)."""
    import json

    from nekoapi.members.passwords import neko_sha256
    from nekoapi.models import ADMIN_PROFILE

    entry = {"password": neko_sha256(admin_password), "profile": ADMIN_PROFILE.merged({"name": "admin"}).to_dict()}
    path.write_text(json.dumps({"admin": entry}), encoding="utf-8")
