"""Neko's ``file`` provider: a JSON object ``username -> {"password", "profile"}``, drop-in compatible.

The file is read on every operation (in a worker thread), so edits by the CLI (or by hand) apply
without a restart. Writes replace it atomically (temp file, fsync, rename),
so a crash leaves either the old or the new file, never a torn one.
Passwords we set are stored as argon2id; Neko's own server cannot read those.

A file that cannot be read or is no members object stops the server from being built
(``StoreUnusable``, reported in one line); once serving, the same fault answers 503 like an
unreachable database, and the file is read again at the next operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import errors
from ..config import MemberConfig
from ..models import MemberProfile
from .passwords import Passwords

log = logging.getLogger(__name__)

Entries = dict[str, dict[str, Any]]
UNREACHABLE = "member provider unreachable"  # as /health and the SQL providers name it


class UnreadableMembers(Exception):
    """The members file cannot be read, or holds no JSON object of members (the message says which)."""


class FileMemberProvider:
    def __init__(self, config: MemberConfig) -> None:
        self._path = Path(config.file.path)  # the configuration requires one with this provider
        self._hashed = config.file.hash
        self._passwords = Passwords(config)
        self._lock = asyncio.Lock()
        # Once, while the server is being built and serves nobody yet: a file that cannot be
        # used stops the start with one line naming the key, not the first login with a 503.
        try:
            self._read()
        except UnreadableMembers as exc:
            raise errors.StoreUnusable(f"member.file.path: {exc}") from None

    async def open(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._create)

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        """Returns when the members file can be read (for health checks); raises otherwise."""
        await asyncio.to_thread(self._path.read_bytes)

    # ---
    # reads
    # ---

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        entry = (await self._load()).get(username)
        stored = entry.get("password") if entry else None
        if not await self._passwords.verify_neko(stored, password, hashed=self._hashed) or entry is None:
            raise errors.InvalidCredentials()
        return username, _profile(entry)

    async def select(self, member_id: str) -> MemberProfile:
        entry = (await self._load()).get(member_id)
        if entry is None:
            raise errors.MemberNotFound.of(member_id)
        return _profile(entry)

    async def select_all(self, limit: int, offset: int) -> list[tuple[str, MemberProfile]]:
        entries = sorted((await self._load()).items())[offset:]
        if limit:
            entries = entries[:limit]
        return [(member_id, _profile(entry)) for member_id, entry in entries]

    # ---
    # writes: read, change, replace the file, under one lock
    # ---

    async def insert(self, username: str, password: str, profile: MemberProfile) -> str:
        hashed = await self._passwords.hash(password)
        async with self._lock:
            entries = await self._load()
            if username in entries:
                raise errors.MemberAlreadyExists(f"member {username!r} already exists")
            entries[username] = {"password": hashed, "profile": profile.to_dict()}
            await asyncio.to_thread(self._store, entries)
        return username

    async def update_profiles(self, member_ids: Sequence[str], changes: Mapping[str, Any]) -> dict[str, MemberProfile]:
        async with self._lock:
            entries = await self._load()
            _require_all(member_ids, entries)
            updated = {member_id: _profile(entries[member_id]).merged(dict(changes)) for member_id in member_ids}
            for member_id, profile in updated.items():
                entries[member_id]["profile"] = profile.to_dict()
            await asyncio.to_thread(self._store, entries)
        return updated

    async def update_password(self, member_id: str, password: str) -> None:
        hashed = await self._passwords.hash(password)
        async with self._lock:
            entries = await self._load()
            _require_all([member_id], entries)
            entries[member_id]["password"] = hashed
            await asyncio.to_thread(self._store, entries)

    async def delete(self, member_ids: Sequence[str]) -> None:
        async with self._lock:
            entries = await self._load()
            _require_all(member_ids, entries)
            for member_id in member_ids:
                entries.pop(member_id, None)
            await asyncio.to_thread(self._store, entries)

    # ---
    # the file
    # ---

    async def _load(self) -> Entries:
        try:
            return await asyncio.to_thread(self._read)
        except UnreadableMembers as exc:
            log.error("member.file.path: %s", exc)
            raise errors.BackingStoreUnavailable(UNREACHABLE) from None

    def _read(self) -> Entries:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8") or "{}")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UnreadableMembers(f"cannot read {self._path}: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not all(isinstance(e, dict) for e in data.values()):
            raise UnreadableMembers(f"{self._path} is not a JSON object of members")
        return data

    def _create(self) -> None:
        if not self._path.exists():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._store({})

    def _store(self, entries: Entries) -> None:
        directory = self._path.parent
        fd, temp = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(entries, stream, indent=2, sort_keys=True)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _profile(entry: dict[str, Any]) -> MemberProfile:
    return MemberProfile.from_dict(entry.get("profile") or {})


def _require_all(member_ids: Sequence[str], entries: Entries) -> None:
    missing = [member_id for member_id in member_ids if member_id not in entries]
    if missing:
        raise errors.MemberNotFound.of(missing[0])
