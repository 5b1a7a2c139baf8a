"""One contract suite for every SessionStore, plus what only the SQLite file adds: surviving a restart."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from nekoapi.models import ADMIN_PROFILE, USER_PROFILE
from nekoapi.sessions.memory_store import MemorySessionStore
from nekoapi.sessions.session import Session
from nekoapi.sessions.sqlite_store import SqliteSessionStore
from nekoapi.tokens import new_token, token_digest
from nekoapi.types import SessionStore


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore()
        return
    sqlite_store = SqliteSessionStore(str(tmp_path / "sessions.db"))
    yield sqlite_store
    sqlite_store.close()


def make_session(session_id: str, admin: bool = False) -> tuple[Session, str]:
    token = new_token()
    return Session(session_id, token_digest(token), ADMIN_PROFILE if admin else USER_PROFILE), token


def test_add_then_find_by_id_and_token(store: SessionStore) -> None:
    session, token = make_session("ann")
    store.add(session)
    assert store.get("ann") is session
    assert store.by_token(token) is session
    assert store.by_token(new_token()) is None
    assert list(store.all()) == [session]


def test_remove_forgets_id_and_token(store: SessionStore) -> None:
    session, token = make_session("ann")
    store.add(session)
    store.remove(session)
    assert store.get("ann") is None
    assert store.by_token(token) is None
    assert list(store.all()) == []


def test_replacing_a_session_retires_the_old_token(store: SessionStore) -> None:
    old, old_token = make_session("ann")
    store.add(old)
    store.remove(old)
    new, new_token_ = make_session("ann")
    store.add(new)
    assert store.by_token(old_token) is None
    assert store.by_token(new_token_) is new


def test_sqlite_sessions_survive_reopening_with_their_profile(tmp_path: Path) -> None:
    path = str(tmp_path / "sessions.db")
    first = SqliteSessionStore(path)
    ann, ann_token = make_session("ann")
    bob, bob_token = make_session("bob", admin=True)
    first.add(ann)
    first.add(bob)
    first.remove(ann)
    bob.profile = bob.profile.merged({"name": "Bob", "can_host": False})
    first.update(bob)
    first.close()

    second = SqliteSessionStore(path)
    assert second.by_token(ann_token) is None
    reloaded = second.by_token(bob_token)
    assert reloaded is not None and reloaded.id == "bob"
    assert reloaded.profile == bob.profile
    assert reloaded.state.is_connected is False
    second.close()


def test_sqlite_file_holds_digests_not_tokens(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SqliteSessionStore(str(path))
    session, token = make_session("ann")
    store.add(session)
    store.close()
    rows = sqlite3.connect(path).execute("SELECT token_digest FROM sessions").fetchall()
    assert rows == [(token_digest(token),)]
    assert token.encode() not in path.read_bytes()


async def test_sqlite_ping_fails_once_the_database_is_gone(tmp_path: Path) -> None:
    store = SqliteSessionStore(str(tmp_path / "sessions.db"))
    await store.ping()
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await store.ping()


async def test_sqlite_writes_wait_off_the_event_loop_for_a_locked_file(tmp_path: Path) -> None:
    path = str(tmp_path / "sessions.db")
    store = SqliteSessionStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the file: a write must wait for it
    ann, ann_token = make_session("ann")
    store.add(ann)  # returns at once: written on the store's own thread, not on the event loop
    assert store.by_token(ann_token) is ann
    flushed = asyncio.ensure_future(store.flush())
    await asyncio.sleep(0)
    assert not flushed.done()  # the write is still waiting for the lock
    other.execute("COMMIT")
    await flushed
    assert other.execute("SELECT id FROM sessions").fetchall() == [("ann",)]
    other.close()
    store.close()
