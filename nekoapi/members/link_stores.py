"""Where share links live: a SQLite file (``session.links_file``) or, with ``session.store: redis``, Redis.

Both keep a link by the SHA-256 digest of its token, never the token, and make a login's use of
a link one atomic step (a transaction that takes the write lock first; a Lua script), so that a
single-use link admits one guest even when several workers or processes race for it. Expired
and used-up links are deleted as they are met. Either survives a restart of nekoapi; Redis is
also what every worker of a scaled-out server shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from .. import errors
from ..config import RedisConfig
from ..models import rfc3339


@dataclass(frozen=True)
class ShareLink:
    id: str
    digest: bytes
    name: str
    can_host: bool
    uses: int  # 0: any number
    uses_left: int | None  # None: unlimited
    expires_at: float | None  # seconds since the epoch; None: never
    created_at: float
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "can_host": self.can_host,
            "uses": self.uses,
            "created_at": _time(self.created_at),
            "created_by": self.created_by,
        }
        if self.uses_left is not None:
            body["uses_left"] = self.uses_left
        if self.expires_at is not None:
            body["expires_at"] = _time(self.expires_at)
        return body

    def record(self) -> dict[str, Any]:
        """As stored in Redis (absent, not null: Lua's cjson null is truthy)."""
        body = {k: v for k, v in self.__dict__.items() if v is not None and k != "digest"}
        return {**body, "digest": self.digest.hex()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ShareLink:
        values = {**record, "digest": bytes.fromhex(record["digest"])}
        values.setdefault("uses_left", None)
        values.setdefault("expires_at", None)
        return cls(**values)


def _time(epoch: float) -> str:
    return rfc3339(datetime.fromtimestamp(epoch, UTC))


class LinkStore(Protocol):
    async def add(self, link: ShareLink) -> None: ...

    async def all(self, now: float) -> list[ShareLink]:
        """The links that still admit someone, oldest first."""
        ...

    async def use(self, digest: bytes, now: float) -> ShareLink | None:
        """Count one login on the link of ``digest``; the link as it was, or None if it admits nobody."""
        ...

    async def revoke(self, link_id: str) -> bool: ...

    async def close(self) -> None: ...


_SCHEMA = """CREATE TABLE IF NOT EXISTS share_links (
    id TEXT PRIMARY KEY, digest BLOB NOT NULL UNIQUE, name TEXT NOT NULL, can_host INTEGER NOT NULL,
    uses INTEGER NOT NULL, uses_left INTEGER, expires_at REAL, created_at REAL NOT NULL, created_by TEXT NOT NULL)"""
_COLUMNS = "id, digest, name, can_host, uses, uses_left, expires_at, created_at, created_by"


class SqliteLinkStore:
    """One short connection per operation, in a worker thread; the file is made on the first link."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._lock = asyncio.Lock()

    async def add(self, link: ShareLink) -> None:
        await self._run(self._add, link, create=True)

    async def all(self, now: float) -> list[ShareLink]:
        return await self._run(self._all, now) or []  # type: ignore[no-any-return]

    async def use(self, digest: bytes, now: float) -> ShareLink | None:
        return await self._run(self._use, digest, now)  # type: ignore[no-any-return]

    async def revoke(self, link_id: str) -> bool:
        return bool(await self._run(self._revoke, link_id))

    async def close(self) -> None:
        return None

    async def _run(self, work: Any, *args: Any, create: bool = False) -> Any:
        async with self._lock:
            return await asyncio.to_thread(self._in_thread, work, args, create)

    def _in_thread(self, work: Any, args: tuple[Any, ...], create: bool) -> Any:
        if not create and not self._path.exists():
            return None  # no link was ever made: nothing to read, no file to leave behind
        try:
            if create:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                if not self._path.exists():
                    os.close(os.open(self._path, os.O_CREAT | os.O_WRONLY, 0o600))
            with contextlib.closing(sqlite3.connect(self._path, timeout=5, isolation_level=None)) as db:
                db.execute(_SCHEMA)
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db, *args)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return result
        except (OSError, sqlite3.Error) as exc:
            raise errors.BackingStoreUnavailable(f"share links file unavailable ({type(exc).__name__})") from None

    @staticmethod
    def _add(db: sqlite3.Connection, link: ShareLink) -> None:
        db.execute(f"INSERT INTO share_links ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", _row(link))

    @staticmethod
    def _all(db: sqlite3.Connection, now: float) -> list[ShareLink]:
        db.execute("DELETE FROM share_links WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
        rows = db.execute(f"SELECT {_COLUMNS} FROM share_links ORDER BY created_at, id").fetchall()
        return [_link(row) for row in rows]

    @staticmethod
    def _use(db: sqlite3.Connection, digest: bytes, now: float) -> ShareLink | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM share_links WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            return None
        link = _link(row)
        if link.expires_at is not None and link.expires_at <= now:
            db.execute("DELETE FROM share_links WHERE id = ?", (link.id,))
            return None
        if link.uses_left is not None and link.uses_left <= 1:
            db.execute("DELETE FROM share_links WHERE id = ?", (link.id,))
        elif link.uses_left is not None:
            db.execute("UPDATE share_links SET uses_left = uses_left - 1 WHERE id = ?", (link.id,))
        return link

    @staticmethod
    def _revoke(db: sqlite3.Connection, link_id: str) -> bool:
        return db.execute("DELETE FROM share_links WHERE id = ?", (link_id,)).rowcount > 0


def _row(link: ShareLink) -> tuple[Any, ...]:
    return (
        link.id,
        link.digest,
        link.name,
        int(link.can_host),
        link.uses,
        link.uses_left,
        link.expires_at,
        link.created_at,
        link.created_by,
    )


def _link(row: tuple[Any, ...]) -> ShareLink:
    link_id, digest, name, can_host, uses, uses_left, expires_at, created_at, created_by = row
    return ShareLink(link_id, bytes(digest), name, bool(can_host), uses, uses_left, expires_at, created_at, created_by)


# KEYS: links hash (id -> record), digests hash (digest hex -> id). ARGV: digest hex, now.
_USE = """
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
local raw = redis.call('HGET', KEYS[1], id)
if not raw then redis.call('HDEL', KEYS[2], ARGV[1]) return false end
local link = cjson.decode(raw)
local gone = link.expires_at and link.expires_at <= tonumber(ARGV[2])
if gone or (link.uses_left and link.uses_left <= 1) then
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], ARGV[1])
  if gone then return false end
elseif link.uses_left then
  link.uses_left = link.uses_left - 1
  redis.call('HSET', KEYS[1], id, cjson.encode(link))
end
return raw
"""
# KEYS: links, digests. ARGV: id.
_REVOKE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], cjson.decode(raw).digest)
return 1
"""


class RedisLinkStore:
    def __init__(self, config: RedisConfig) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(config.url, socket_timeout=5, socket_connect_timeout=5)
        self._keys = [f"{config.prefix}:links", f"{config.prefix}:link-digests"]
        self._use = self._client.register_script(_USE)
        self._revoke = self._client.register_script(_REVOKE)

    async def add(self, link: ShareLink) -> None:
        record = orjson.dumps(link.record())
        async with self._guard():
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(self._keys[0], link.id, record)
            pipe.hset(self._keys[1], link.digest.hex(), link.id)
            await pipe.execute()

    async def all(self, now: float) -> list[ShareLink]:
        async with self._guard():
            records = await self._client.hvals(self._keys[0])
        links = [ShareLink.from_record(orjson.loads(r)) for r in records]
        live = [link for link in links if link.expires_at is None or link.expires_at > now]
        return sorted(live, key=lambda link: (link.created_at, link.id))

    async def use(self, digest: bytes, now: float) -> ShareLink | None:
        async with self._guard():
            raw = await self._use(keys=self._keys, args=[digest.hex(), repr(now)])
        return ShareLink.from_record(orjson.loads(raw)) if raw else None

    async def revoke(self, link_id: str) -> bool:
        async with self._guard():
            return bool(await self._revoke(keys=self._keys, args=[link_id]))

    async def close(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def _guard(self) -> Any:
        from redis.exceptions import RedisError

        try:
            yield
        except (RedisError, OSError) as exc:
            raise errors.BackingStoreUnavailable(f"redis unreachable ({type(exc).__name__})") from None
