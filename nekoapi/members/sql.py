"""Members in an SQL database: one schema and one set of queries for SQLite and PostgreSQL.

Member id = username, as in Neko's file provider, so a member's live session
(whose id is the member id) can be found when the member changes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import Column, MetaData, String, Table, Text, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import errors
from ..models import ADMIN_PROFILE, MemberProfile
from .passwords import Passwords

FIRST_ADMIN = "admin"
UNREACHABLE = "member provider unreachable"  # as /health names it
# What a database that cannot be reached raises: refused or broken connections, timeouts.
_UNREACHABLE_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)
Announce = Callable[[str], None]
log = logging.getLogger(__name__)


def print_to_console(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def members_table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("id", String(255), primary_key=True),
        Column("password", Text, nullable=False),  # argon2id hash
        Column("profile", Text, nullable=False),  # MemberProfile as JSON
    )


class SqlMemberProvider:
    def __init__(
        self,
        engine: AsyncEngine,
        table: str,
        passwords: Passwords,
        admin_password: str,
        announce: Announce = print_to_console,
    ) -> None:
        self._engine = engine
        self._table = members_table(table)
        self._passwords = passwords
        self._admin_password = admin_password
        self._announce = announce
        # One writer at a time in this process: read-merge-write stays consistent, and SQLite
        # never sees two of our transactions competing for its single write lock.
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self._reachable(), self._write_lock, self._engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reachable(), self._engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _reachable(self) -> AsyncIterator[None]:
        """A database that does not answer is a 503 (``BackingStoreUnavailable``), as /health says."""
        try:
            yield
        except _UNREACHABLE_ERRORS as exc:
            log.warning("%s: %s", UNREACHABLE, type(exc).__name__)
            raise errors.BackingStoreUnavailable(UNREACHABLE) from None

    # ---
    # lifecycle
    # ---

    async def open(self) -> None:
        async with self._write() as conn:
            await conn.run_sync(self._table.metadata.create_all)
            count = (await conn.execute(select(func.count()).select_from(self._table))).scalar_one()
            if count == 0:
                await self._create_first_admin(conn)

    async def _create_first_admin(self, conn: AsyncConnection) -> None:
        password = self._admin_password or secrets.token_urlsafe(12)
        profile = ADMIN_PROFILE.merged({"name": FIRST_ADMIN})
        row = self._row(FIRST_ADMIN, await self._passwords.hash(password), profile)
        await conn.execute(insert(self._table).values(row))
        if not self._admin_password:
            # The only time this password is ever shown.
            self._announce(
                f"nekoapi: created member {FIRST_ADMIN!r} with password {password}\n"
                f"nekoapi: change it with: nekoapi members passwd {FIRST_ADMIN}"
            )
        else:
            self._announce(f"nekoapi: created member {FIRST_ADMIN!r} with the configured admin password")

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        """Returns when the database answers (for health checks); raises otherwise."""
        async with self._engine.connect() as conn:
            await conn.execute(select(1))

    # ---
    # reads
    # ---

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        row = await self._fetch(username)
        if not await self._passwords.verify(row.password if row else None, password) or row is None:
            raise errors.InvalidCredentials()
        return row.id, _profile(row.profile)

    async def select(self, member_id: str) -> MemberProfile:
        row = await self._fetch(member_id)
        if row is None:
            raise errors.MemberNotFound.of(member_id)
        return _profile(row.profile)

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        query = select(self._table.c.id, self._table.c.profile).order_by(self._table.c.id).offset(offset)
        if limit:
            query = query.limit(limit)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [(row.id, _profile(row.profile)) for row in rows]

    async def _fetch(self, member_id: str) -> Any:
        async with self._read() as conn:
            return (await conn.execute(select(self._table).where(self._table.c.id == member_id))).first()

    # ---
    # writes: one transaction each, all ids or none
    # ---

    async def insert(self, username: str, password: str, profile: MemberProfile) -> str:
        row = self._row(username, await self._passwords.hash(password), profile)
        try:
            async with self._write() as conn:
                await conn.execute(insert(self._table).values(row))
        except IntegrityError:
            raise errors.MemberAlreadyExists(f"member {username!r} already exists") from None
        return username

    async def update_profiles(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> dict[str, MemberProfile]:
        table = self._table
        updated: dict[str, MemberProfile] = {}
        async with self._write() as conn:
            # FOR UPDATE keeps other PostgreSQL clients from merging into the same rows meanwhile.
            query = select(table.c.id, table.c.profile).where(table.c.id.in_(member_ids)).with_for_update()
            current = {row.id: _profile(row.profile) for row in (await conn.execute(query)).all()}
            _require_all(member_ids, current)
            for member_id in dict.fromkeys(member_ids):
                updated[member_id] = current[member_id].merged(dict(changes))
                value = orjson.dumps(updated[member_id].to_dict()).decode()
                await conn.execute(update(table).where(table.c.id == member_id).values(profile=value))
        return updated

    async def update_password(self, member_id: str, password: str) -> None:
        hashed = await self._passwords.hash(password)
        async with self._write() as conn:
            query = update(self._table).where(self._table.c.id == member_id).values(password=hashed)
            result = await conn.execute(query)
            if result.rowcount == 0:
                raise errors.MemberNotFound.of(member_id)

    async def delete(self, member_ids: Sequence[str]) -> None:
        table = self._table
        async with self._write() as conn:
            found = (await conn.execute(select(table.c.id).where(table.c.id.in_(member_ids)).with_for_update())).all()
            _require_all(member_ids, {row.id for row in found})
            await conn.execute(delete(table).where(table.c.id.in_(member_ids)))

    def _row(self, member_id: str, password_hash: str, profile: MemberProfile) -> dict[str, str]:
        return {"id": member_id, "password": password_hash, "profile": orjson.dumps(profile.to_dict()).decode()}


def _profile(raw: str) -> MemberProfile:
    return MemberProfile.from_dict(orjson.loads(raw))


def _require_all(member_ids: Sequence[str], found: Mapping[str, Any] | set[str]) -> None:
    missing = [member_id for member_id in member_ids if member_id not in found]
    if missing:
        raise errors.MemberNotFound.of(missing[0])
