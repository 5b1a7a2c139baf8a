"""The room core with recording peers: event order, control protection, stats, client messages."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from nekoapi.config import Config
from nekoapi.services import Services
from nekoapi.sessions.session import Session
from nekoapi.ws import protocol
from tests.support.events import server_violations, violation
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config

# Sent one loop turn after a connect, so they land wherever a test happens to be; these tests are
# about the core's events (the plugins' own tests check the greetings: tests/e2e/test_chat.py).
PLUGIN_GREETINGS = frozenset({"chat/init", "openinapp/init", "filetransfer/update"})


class RecordingPeer:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.closed_with: str | None = None

    def send(self, event: str, payload: Any) -> None:
        self.send_frame(protocol.frame(event, payload))  # recorded as the client would read it

    def send_frame(self, frame: bytes | tuple[bytes, ...]) -> None:
        if isinstance(frame, tuple):  # a frame in parts, as a large system/init comes
            frame = b"".join(frame)
        decoded = protocol.decode(protocol.frame_text(frame))
        assert decoded is not None, frame
        # The contract, as a live server's frames are checked: the bus would swallow an exception, so the
        # violation is recorded and tests/conftest.py fails the test.
        problem = violation({"event": decoded[0], "payload": decoded[1]})
        if problem is not None:
            server_violations.append(problem)
        if decoded[0] not in PLUGIN_GREETINGS:
            self.events.append(decoded)

    def destroy(self, reason: str) -> None:
        self.closed_with = reason

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def take(self) -> list[tuple[str, Any]]:
        taken, self.events = self.events, []
        return taken


# Rooms started by the running test; stopped after it (the Redis store runs tasks and connections).
_STARTED: list[Services] = []


@pytest.fixture(autouse=True)
async def _stop_rooms() -> Any:
    yield
    while _STARTED:
        await _STARTED.pop().stop()


class Room:
    def __init__(self, config: Config) -> None:
        self.services = Services(config)
        self.sessions = self.services.sessions
        self.room = self.services.room

    async def join(self, name: str, *, admin: bool = False) -> tuple[Session, RecordingPeer]:
        if self.services not in _STARTED:
            await self.services.start()
            _STARTED.append(self.services)
        session, _token = await self.sessions.login(name, ADMIN_PASSWORD if admin else USER_PASSWORD)
        peer = RecordingPeer()
        assert self.sessions.connect(session, peer)  # type: ignore[arg-type]
        return session, peer

    async def say(self, session: Session, event: str, payload: Any = None) -> None:
        raw = orjson.dumps({"event": event, "payload": payload})
        await self.services.client_messages.handle(session, raw)


async def test_an_admin_gets_init_then_admin_then_its_own_state() -> None:
    room = Room(make_config())
    admin, peer = await room.join("root", admin=True)
    assert peer.names() == ["system/init", "system/admin", "session/state"]
    init = peer.events[0][1]
    assert set(init) == {
        "session_id",
        "control_host",
        "screen_size",
        "sessions",
        "settings",
        "touch_events",
        "screencast_enabled",
        "webrtc",
    }
    assert init["session_id"] == admin.id
    assert init["control_host"] == {"has_host": False}
    assert init["sessions"][admin.id]["state"]["is_connected"] is True
    assert init["settings"] == room.room.settings.to_dict()
    state = peer.events[2][1]
    assert state["id"] == admin.id
    assert state["is_connected"] is True
    assert "connected_since" in state


async def test_a_user_gets_no_admin_event_and_everyone_sees_it_connect() -> None:
    room = Room(make_config())
    _admin, admin_peer = await room.join("root", admin=True)
    admin_peer.take()
    user, user_peer = await room.join("bob")
    assert user_peer.names() == ["system/init", "session/state"]
    assert admin_peer.names() == ["session/created", "session/state"]
    assert admin_peer.events[1][1]["id"] == user.id


async def test_control_protection_locks_when_the_last_admin_leaves_and_unlocks_when_one_returns() -> None:
    room = Room(make_config(NEKO_SESSION_CONTROL_PROTECTION="true"))
    assert room.room.settings.locked_controls is True
    admin, admin_peer = await room.join("root", admin=True)
    assert admin_peer.names() == ["system/init", "system/admin", "system/settings", "session/state"]
    unlocked = admin_peer.events[2][1]
    assert unlocked["locked_controls"] is False
    assert unlocked["id"] == admin.id
    user, user_peer = await room.join("bob")
    await room.room.request_control(user)
    user_peer.take()

    room.sessions.peer_closed(admin, admin_peer, abnormal=False)  # type: ignore[arg-type]
    events = user_peer.take()
    assert [name for name, _ in events] == ["control/host", "system/settings", "session/state"]
    assert events[0][1] == {"id": admin.id, "has_host": False}
    assert events[1][1]["locked_controls"] is True
    assert events[2][1]["is_connected"] is False

    again, _peer = await room.join("root", admin=True)
    assert room.room.settings.locked_controls is False
    assert ("system/settings", {"id": again.id, **room.room.settings.to_dict()}) in user_peer.events


async def test_control_protection_stays_unlocked_while_another_admin_is_connected() -> None:
    room = Room(make_config(NEKO_SESSION_CONTROL_PROTECTION="true"))
    first, first_peer = await room.join("root", admin=True)
    await room.join("ops", admin=True)
    room.sessions.peer_closed(first, first_peer, abnormal=False)  # type: ignore[arg-type]
    assert room.room.settings.locked_controls is False


async def test_turning_protection_on_without_admins_locks_controls() -> None:
    room = Room(make_config())
    user, user_peer = await room.join("bob")
    await room.room.request_control(user)
    api = await room.sessions.login("root", ADMIN_PASSWORD)
    await room.room.update_settings(api[0], {"control_protection": True})
    assert room.room.settings.locked_controls is True
    assert room.sessions.host_id is None
    assert user_peer.names()[-2:] == ["control/host", "system/settings"]


async def test_stats_follow_connects_grace_periods_and_deletions() -> None:
    room = Room(make_config(NEKO_SESSION_RECONNECT_GRACE="50ms"))
    user, user_peer = await room.join("bob")
    admin, _admin_peer = await room.join("root", admin=True)
    stats = room.room.stats()
    assert (stats["total_users"], stats["total_admins"]) == (1, 1)
    assert "last_user_left_at" not in stats

    room.sessions.peer_closed(user, user_peer, abnormal=True)  # type: ignore[arg-type]
    assert room.room.stats()["total_users"] == 1  # still within the grace period
    await asyncio.sleep(0.1)
    stats = room.room.stats()
    assert stats["total_users"] == 0
    assert stats["last_user_left_at"].endswith("Z")

    again = RecordingPeer()
    room.sessions.connect(user, again)  # type: ignore[arg-type]
    room.sessions.peer_closed(user, again, abnormal=True)  # type: ignore[arg-type]
    room.sessions.connect(user, RecordingPeer())  # type: ignore[arg-type]
    await asyncio.sleep(0.1)
    assert room.room.stats()["total_users"] == 1  # the reconnect cancelled the grace timer
    assert "last_user_left_at" not in room.room.stats()

    await room.sessions.delete(admin.id)
    stats = room.room.stats()
    assert stats["total_admins"] == 0
    assert stats["last_admin_left_at"].endswith("Z")


async def test_stats_move_a_connected_session_when_it_becomes_admin() -> None:
    room = Room(make_config())
    user, _peer = await room.join("bob")
    await room.sessions.update_profile(user.id, user.profile.merged({"is_admin": True}))
    stats = room.room.stats()
    assert (stats["total_users"], stats["total_admins"]) == (0, 1)


async def test_control_messages_over_the_socket_use_the_same_rules() -> None:
    room = Room(make_config())
    alice, alice_peer = await room.join("alice")
    bob, bob_peer = await room.join("bob")
    await room.say(alice, "control/request")
    assert room.sessions.host_id == alice.id
    bob_peer.take()
    alice_peer.take()

    await room.say(bob, "control/request")  # refused: alice hosts; alice is asked
    assert room.sessions.host_id == alice.id
    assert alice_peer.take() == [("control/request", {"id": bob.id})]
    assert bob_peer.take() == []

    await room.say(bob, "control/release")  # refused: bob is not the host
    assert room.sessions.host_id == alice.id
    await room.say(alice, "control/release")
    assert room.sessions.host_id is None
    assert bob_peer.take() == [("control/host", {"id": alice.id, "has_host": False})]


async def test_malformed_and_unknown_messages_are_ignored() -> None:
    room = Room(make_config())
    alice, peer = await room.join("alice")
    peer.take()
    for raw in [b"not json", b"[1, 2]", b'{"payload": {}}', b'{"event": 5}', b'{"event": "no/such"}']:
        await room.services.client_messages.handle(alice, raw)
    assert peer.events == []
    await room.say(alice, "control/request", {"unexpected": "payload"})
    assert room.sessions.host_id == alice.id


async def test_every_accepted_settings_update_is_announced_even_without_a_change() -> None:
    room = Room(make_config())
    admin, peer = await room.join("root", admin=True)
    peer.take()
    await room.room.update_settings(admin, {})
    await room.room.update_settings(admin, {"inactive_cursors": True})
    assert [(name, body["id"], body["inactive_cursors"]) for name, body in peer.take()] == [
        ("system/settings", admin.id, False),
        ("system/settings", admin.id, True),
    ]


async def test_system_init_lists_every_session_as_it_is_now() -> None:
    room = Room(make_config())
    sessions = room.sessions

    async def init_of(name: str) -> Any:
        session, peer = await room.join(name)
        init = peer.events[0][1]
        assert init["sessions"] == {s.id: s.data() for s in sessions.list()}
        return session, init

    first, _ = await init_of("first")
    second, _ = await init_of("second")
    await sessions.change_own_profile(first, {"name": "First"})
    await sessions.disconnect(second.id)
    _, init = await init_of("third")
    assert init["sessions"][first.id]["profile"]["name"] == "First"
    await sessions.delete(first.id)
    _, init = await init_of("fourth")
    assert first.id not in init["sessions"]
    # A session that appears without an event (another worker's, loaded on demand) is listed too.
    stray = Session("stray", b"\0" * 32, first.profile)
    sessions.replica.add(stray)
    _, init = await init_of("fifth")
    assert init["sessions"]["stray"] == stray.data()
