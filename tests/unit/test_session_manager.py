"""SessionManager: login rules, authentication, forced disconnects, grace periods, stats."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import orjson
import pytest

from nekoapi import errors
from nekoapi.config import SessionConfig
from nekoapi.events import EventBus, SessionCreated, SessionDeleted, StateChanged
from nekoapi.models import ADMIN_PROFILE, USER_PROFILE, MemberProfile, SessionState
from nekoapi.sessions.manager import SessionManager
from nekoapi.ws.peer import QueuedPeer
from tests.support.patience import REPLY

API_TOKEN = "a" * 40


class Members:
    """A provider with fixed members: password 'pw' for everyone."""

    def __init__(self, **profiles: MemberProfile) -> None:
        self.profiles = profiles

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        if username not in self.profiles or password != "pw":
            raise errors.InvalidCredentials()
        return username, self.profiles[username]

    async def select(self, member_id: str) -> MemberProfile:
        if member_id not in self.profiles:
            raise errors.MemberNotFound.of(member_id)
        return self.profiles[member_id]


class FakeConnection:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: tuple[int, str] | None = None

    async def send_text(self, data: str) -> None:
        self.sent.append(orjson.loads(data))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = (code, reason)

    def events(self) -> list[str]:
        return [m["event"] for m in self.sent]


async def open_peer(queue_size: int = 16) -> tuple[QueuedPeer, FakeConnection, asyncio.Task[None]]:
    connection = FakeConnection()
    peer = QueuedPeer(connection, queue_size, 1 << 22)
    return peer, connection, asyncio.create_task(peer.run_writer())


def make_manager(bus: EventBus | None = None, **config: Any) -> SessionManager:
    members = Members(
        admin=dataclasses.replace(ADMIN_PROFILE, name="admin"),
        alice=dataclasses.replace(USER_PROFILE, name="alice"),
        mallory=dataclasses.replace(USER_PROFILE, name="mallory", can_login=False),
    )
    return SessionManager(SessionConfig(api_token=API_TOKEN, **config), members, bus or EventBus())


async def test_login_creates_a_session_with_a_256_bit_token() -> None:
    bus = EventBus()
    created: list[str] = []
    bus.subscribe(SessionCreated, lambda e: created.append(e.session.id))
    manager = make_manager(bus)
    session, token = await manager.login("alice", "pw")
    assert session.id == "alice"
    assert len(token) == 64 and int(token, 16) >= 0
    assert created == ["alice"]
    assert await manager.authenticate(token) is session


async def test_wrong_password_and_disabled_login_are_refused() -> None:
    manager = make_manager()
    with pytest.raises(errors.InvalidCredentials):
        await manager.login("alice", "nope")
    with pytest.raises(errors.LoginDisabled):
        await manager.login("mallory", "pw")


async def test_locked_logins_refuse_users_but_not_admins() -> None:
    manager = make_manager(locked_logins=True)
    with pytest.raises(errors.LoginsLocked):
        await manager.login("alice", "pw")
    session, _ = await manager.login("admin", "pw")
    assert session.profile.is_admin


async def test_a_stale_session_is_replaced_and_its_old_token_dies() -> None:
    bus = EventBus()
    deleted: list[str] = []
    bus.subscribe(SessionDeleted, lambda e: deleted.append(e.session.id))
    manager = make_manager(bus)
    _, old_token = await manager.login("alice", "pw")
    _, new_token = await manager.login("alice", "pw")
    assert deleted == ["alice"]
    assert (await manager.authenticate(new_token)).id == "alice"
    with pytest.raises(errors.NotAuthenticated):
        await manager.authenticate(old_token)


async def test_a_connected_session_blocks_a_second_login() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")
    peer, _, _ = await open_peer()
    assert manager.connect(session, peer)
    with pytest.raises(errors.SessionAlreadyConnected):
        await manager.login("alice", "pw")


async def test_api_token_is_an_unlisted_admin_that_cannot_connect() -> None:
    manager = make_manager()
    api = await manager.authenticate(API_TOKEN)
    assert api.id == "API" and api.profile.is_admin and not api.profile.can_connect
    assert manager.list() == []
    with pytest.raises(errors.NotAuthenticated):
        await manager.authenticate(API_TOKEN[:-1] + "b")
    with pytest.raises(errors.CannotLogout):
        await manager.logout(api)


async def test_disconnect_closes_the_socket_with_a_reason_and_keeps_the_session() -> None:
    manager = make_manager()
    session, token = await manager.login("alice", "pw")
    peer, connection, writer = await open_peer()
    manager.connect(session, peer)
    await manager.disconnect("alice")
    await asyncio.wait_for(writer, REPLY)
    assert connection.sent[-1] == {"event": "system/disconnect", "payload": {"message": "session disconnected"}}
    assert connection.closed_with == (1000, "session disconnected")
    assert session.state.is_connected is False
    assert session.state.not_connected_since is not None
    assert await manager.authenticate(token) is session


async def test_delete_closes_with_session_deleted_and_forgets_the_token() -> None:
    manager = make_manager()
    session, token = await manager.login("alice", "pw")
    peer, connection, writer = await open_peer()
    manager.connect(session, peer)
    await manager.delete("alice")
    await asyncio.wait_for(writer, REPLY)
    assert connection.closed_with == (1000, "session deleted")
    with pytest.raises(errors.SessionNotFound):
        manager.get("alice")
    with pytest.raises(errors.NotAuthenticated):
        await manager.authenticate(token)


async def test_unknown_ids_raise_session_not_found() -> None:
    manager = make_manager()
    for operation in (manager.disconnect, manager.delete):
        with pytest.raises(errors.SessionNotFound):
            await operation("ghost")


async def test_merciful_reconnect_replaces_the_old_socket() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")
    first, first_connection, first_writer = await open_peer()
    second, _, _ = await open_peer()
    manager.connect(session, first)
    assert manager.connect(session, second)
    await asyncio.wait_for(first_writer, REPLY)
    assert first_connection.closed_with == (1000, "connection replaced")
    assert session.peer is second and session.state.is_connected


async def test_without_merciful_reconnect_the_new_socket_is_refused() -> None:
    manager = make_manager(merciful_reconnect=False)
    session, _ = await manager.login("alice", "pw")
    first, _, _ = await open_peer()
    second, second_connection, second_writer = await open_peer()
    manager.connect(session, first)
    assert not manager.connect(session, second)
    await asyncio.wait_for(second_writer, REPLY)
    assert second_connection.closed_with == (1000, "already connected")
    assert session.peer is first


async def test_abnormal_close_waits_for_the_grace_period() -> None:
    bus = EventBus()
    states: list[bool] = []
    bus.subscribe(StateChanged, lambda e: states.append(e.session.state.is_connected))
    manager = make_manager(bus, reconnect_grace=0.05)
    session, _ = await manager.login("alice", "pw")
    peer, _, _ = await open_peer()
    manager.connect(session, peer)
    manager.peer_closed(session, peer, abnormal=True)
    assert session.state.is_connected is True
    await asyncio.sleep(0.1)
    assert session.state.is_connected is False
    assert states == [True, False]


async def test_a_reconnect_within_the_grace_period_cancels_the_disconnect() -> None:
    bus = EventBus()
    states: list[bool] = []
    bus.subscribe(StateChanged, lambda e: states.append(e.session.state.is_connected))
    manager = make_manager(bus, reconnect_grace=0.05)
    session, _ = await manager.login("alice", "pw")
    peer, _, _ = await open_peer()
    manager.connect(session, peer)
    manager.peer_closed(session, peer, abnormal=True)
    again, _, _ = await open_peer()
    manager.connect(session, again)
    await asyncio.sleep(0.1)
    assert session.state.is_connected is True
    assert states == [True]


async def test_a_clean_close_disconnects_at_once() -> None:
    manager = make_manager(reconnect_grace=10)
    session, _ = await manager.login("alice", "pw")
    peer, _, _ = await open_peer()
    manager.connect(session, peer)
    manager.peer_closed(session, peer, abnormal=False)
    assert session.state.is_connected is False


async def test_stats_count_connected_users_and_admins_and_stamp_the_last_to_leave() -> None:
    manager = make_manager()
    admin, _ = await manager.login("admin", "pw")
    alice, _ = await manager.login("alice", "pw")
    for session in (admin, alice):
        manager.connect(session, (await open_peer())[0])
    assert (manager.stats.total_admins, manager.stats.total_users) == (1, 1)
    await manager.disconnect("alice")
    assert manager.stats.total_users == 0
    assert manager.stats.last_user_left_at is not None
    assert manager.stats.last_admin_left_at is None


async def test_profile_change_that_removes_can_connect_closes_the_socket() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")
    peer, connection, writer = await open_peer()
    manager.connect(session, peer)
    await manager.update_profile("alice", dataclasses.replace(session.profile, can_connect=False))
    await asyncio.wait_for(writer, REPLY)
    assert connection.closed_with == (1000, "profile changed")


async def test_encoded_session_data_follows_every_change() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")

    def encoded_matches() -> bool:
        return session.data_json() == orjson.dumps(session.data())

    assert encoded_matches()
    peer, _connection, writer = await open_peer()
    manager.connect(session, peer)
    assert orjson.loads(session.data_json())["state"]["is_connected"] is True
    await manager.disconnect("alice")
    await asyncio.wait_for(writer, REPLY)
    assert orjson.loads(session.data_json())["state"]["is_connected"] is False
    assert encoded_matches()
    await manager.update_profile("alice", dataclasses.replace(session.profile, name="Alice"))
    assert orjson.loads(session.data_json())["profile"]["name"] == "Alice"
    # As the Redis backend applies a change from another worker: a new state object.
    session.state = SessionState(is_watching=True)
    assert orjson.loads(session.data_json())["state"]["is_watching"] is True
    assert encoded_matches()


async def test_non_admins_may_change_only_their_name() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")
    await manager.change_own_profile(session, {"name": "Alice", "can_host": True})  # can_host unchanged
    assert session.profile.name == "Alice"
    with pytest.raises(errors.ProfileChangeForbidden):
        await manager.change_own_profile(session, {"is_admin": True})
    assert session.profile.is_admin is False


async def test_a_slow_socket_is_closed_instead_of_growing_without_bound() -> None:
    peer, connection, writer = await open_peer(queue_size=3)
    for n in range(10):
        peer.send("test/event", {"n": n})
    await asyncio.wait_for(writer, REPLY)
    assert connection.closed_with == (1000, "connection too slow")
    assert len(connection.sent) <= 4


async def test_the_connected_index_follows_every_way_a_socket_comes_and_goes() -> None:
    manager = make_manager(reconnect_grace=10)
    admin, _ = await manager.login("admin", "pw")
    alice, _ = await manager.login("alice", "pw")

    def index_matches_a_scan() -> list[str]:
        scanned = [s.id for s in manager.list() if s.peer is not None]
        assert sorted(s.id for s in manager.connected()) == sorted(scanned)
        assert manager.peers() == [s.peer for s in manager.connected()]
        return sorted(scanned)

    assert index_matches_a_scan() == []
    for session in (admin, alice):
        manager.connect(session, (await open_peer())[0])
    assert index_matches_a_scan() == ["admin", "alice"]
    replacement = (await open_peer())[0]
    manager.connect(alice, replacement)  # replaced: still one entry
    assert index_matches_a_scan() == ["admin", "alice"]
    manager.peer_closed(alice, replacement, abnormal=True)  # the grace period keeps it
    assert index_matches_a_scan() == ["admin", "alice"]
    await manager.disconnect("alice")
    assert index_matches_a_scan() == ["admin"]
    manager.connect(alice, (await open_peer())[0])
    assert manager.release_peer(alice) is not None  # the session went to another worker
    assert index_matches_a_scan() == ["admin"] and alice.state.is_connected
    await manager.delete("admin")
    assert index_matches_a_scan() == []


async def test_system_init_json_of_a_session_follows_its_profile_and_state() -> None:
    manager = make_manager()
    session, _ = await manager.login("alice", "pw")

    def entry() -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(b"{" + session.keyed_json() + b"}")
        assert decoded == {"alice": session.data()}
        return decoded["alice"]

    assert entry()["state"]["is_connected"] is False
    manager.connect(session, (await open_peer())[0])
    assert entry()["state"]["is_connected"] is True
    await manager.change_own_profile(session, {"name": "Alice"})
    assert entry()["profile"]["name"] == "Alice"
    await manager.disconnect("alice")
    assert entry()["state"]["is_connected"] is False
