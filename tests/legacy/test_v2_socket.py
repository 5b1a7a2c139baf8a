"""Neko's v2 WebSocket at /ws, replayed as Neko's Vue 2 UI speaks it (``client/src/neko/index.ts``,
``base.ts``, ``messages.ts``): the connect, members, chat and emotes, control; the payloads are
checked against Neko's Go structs (``server/internal/http/legacy/message/messages.go``) as written
out here, and every message against the spec's ``x-websocket-v2``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import websockets

from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server

from .conftest import Connect
from .v2client import V2Client

# Neko's message structs, field for field (the event beside them).
MEMBER = {"id", "displayname", "admin", "muted"}  # types.Member
SYSTEM_INIT = {"event", "locks", "implicit_hosting", "file_transfer", "heartbeat_interval"}
SIGNAL_PROVIDE = {"event", "id", "sdp", "lite", "ice"}
SCREEN_RESOLUTION = {"event", "width", "height", "rate"}  # id omitted when empty
BROADCAST_STATUS = {"event", "url", "isActive"}
FILE_LIST = {"event", "cwd", "user_download", "user_upload", "user_delete", "files"}
SYSTEM_MESSAGE = {"event", "title", "message"}


async def test_a_connect_is_greeted_in_neko_v2s_order(connect: Connect) -> None:
    admin = await connect("alice", admin=True)
    events = [m["event"] for m in admin.greeting]
    assert events == [
        "member/list",
        "screen/resolution",
        "system/init",
        "screen/configurations",  # system/admin's part, for administrators
        "broadcast/status",
        "filetransfer/list",
        "openinapp/init",
        "signal/provide",
    ]
    by_event = {m["event"]: m for m in admin.greeting}
    assert by_event["member/list"]["members"] == [
        {"id": admin.id, "displayname": "alice", "admin": True, "muted": False}
    ]
    assert set(by_event["system/init"]) == SYSTEM_INIT
    assert by_event["system/init"]["locks"] == {}
    assert set(by_event["screen/resolution"]) == SCREEN_RESOLUTION
    assert set(by_event["broadcast/status"]) == BROADCAST_STATUS
    assert set(by_event["filetransfer/list"]) == FILE_LIST
    provide = by_event["signal/provide"]
    assert set(provide) == SIGNAL_PROVIDE and provide["lite"] is True and provide["ice"] == []
    assert provide["sdp"].startswith("v=0")


async def test_a_user_is_not_told_what_administrators_are(connect: Connect) -> None:
    user = await connect("bob")
    events = [m["event"] for m in user.greeting]
    assert "screen/configurations" not in events and "broadcast/status" not in events
    assert events[:3] == ["member/list", "screen/resolution", "system/init"]


async def test_a_wrong_password_is_told_as_neko_tells_it_then_closed(server: LiveServer) -> None:
    client = await V2Client.connect(server.port, "nope", "mallory")
    goodbye = await client.next()
    assert goodbye == {
        "event": "system/disconnect",
        "title": "couldn't create a new session",
        "message": "error response from backend: wrong username or password",
    }
    await asyncio.wait_for(client.connection.wait_closed(), 10)


async def test_without_legacy_there_is_no_v2_socket() -> None:
    with live_server(make_config(NEKO_LEGACY="false")) as server, pytest.raises(websockets.exceptions.InvalidStatus):
        await V2Client.connect(server.port, ADMIN_PASSWORD, "alice")


async def test_members_joining_and_leaving(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    assert {m["id"] for m in next(m for m in bob.greeting if m["event"] == "member/list")["members"]} == {
        alice.id,
        bob.id,
    }
    joined = await alice.wait_for("member/connected")
    assert joined == {"event": "member/connected", "id": bob.id, "displayname": "bob", "admin": False, "muted": False}
    await bob.close()
    assert await alice.wait_for("member/disconnected") == {"event": "member/disconnected", "id": bob.id}


async def test_chat_messages_and_emotes(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await bob.send("chat/message", content="hello")
    expected = {"event": "chat/message", "id": bob.id, "content": "hello"}
    assert await alice.wait_for("chat/message") == expected
    assert await bob.wait_for("chat/message") == expected
    await alice.send("chat/emote", emote="heart")
    emote = {"event": "chat/emote", "id": alice.id, "emote": "heart"}
    assert await alice.wait_for("chat/emote") == emote  # echoed to the sender by the layer itself
    assert await bob.wait_for("chat/emote") == emote


async def test_control_request_give_and_release(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await bob.send("control/request")
    for client in (alice, bob):
        assert await client.wait_for("control/locked") == {"event": "control/locked", "id": bob.id}
    await alice.send("control/request")
    assert await bob.wait_for("control/requesting") == {"event": "control/requesting", "id": alice.id}
    await bob.send("control/give", id=alice.id)
    give = {"event": "control/give", "id": bob.id, "target": alice.id}
    for client in (alice, bob):
        assert await client.wait_for("control/give") == give
    # Released by whom Neko's layer last saw change the host (bob gave it): v2 calls that admin/release.
    await alice.send("control/release")
    for client in (alice, bob):
        assert await client.wait_for("admin/release") == {"event": "admin/release", "id": alice.id}
    await bob.send("control/request")
    await bob.wait_for("control/locked", id=bob.id)
    await bob.send("control/release")
    assert await alice.wait_for("control/release") == {"event": "control/release", "id": bob.id}


async def test_an_administrator_takes_control_and_releases_it(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await bob.send("control/request")
    await alice.wait_for("control/locked", id=bob.id)
    await alice.send("admin/control")
    taken = {"event": "admin/control", "id": alice.id, "target": bob.id}
    for client in (alice, bob):
        assert await client.wait_for("admin/control") == taken
    await alice.send("admin/give", id=bob.id)
    assert await bob.wait_for("control/give") == {"event": "control/give", "id": alice.id, "target": bob.id}
    await alice.send("admin/release")
    assert await bob.wait_for("control/release") == {"event": "control/release", "id": alice.id}


async def test_a_refused_call_is_a_system_error(connect: Connect) -> None:
    bob = await connect("bob")
    carol = await connect("carol")
    await bob.send("control/give", id=carol.id)  # bob neither hosts nor administers
    error = await bob.wait_for("system/error")
    assert error == {
        "event": "system/error",
        "title": "backend response error",
        "message": "only the host or an administrator may give control",
    }
    await bob.send("admin/kick", id=carol.id)
    assert (await bob.wait_for("system/error"))["message"] == "only administrators may do this"
    # The desktop is off in this server: the screen query is refused as its operation is.
    await bob.send("screen/resolution")
    assert (await bob.wait_for("system/error"))["message"] == "desktop is not available: desktop.enabled is false"


async def test_a_malformed_or_unknown_message_is_dropped_and_the_socket_stays(connect: Connect) -> None:
    bob = await connect("bob")
    await bob.connection.send("not json")
    await bob.send("no/such")
    await bob.send("chat/message", content=42)
    await bob.send("chat/message", content="still here")
    assert (await bob.wait_for("chat/message"))["content"] == "still here"


async def test_the_file_list_and_its_refresh(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    config = make_config(NEKO_FILETRANSFER_ENABLED="true", NEKO_FILETRANSFER_DIR=str(shared))
    with live_server(config) as server:
        alice = await V2Client.connect(server.port, ADMIN_PASSWORD, "alice")
        try:
            greeting = await alice.events_until("signal/provide")
            assert next(m for m in greeting if m["event"] == "system/init")["file_transfer"] is True
            listed = next(m for m in greeting if m["event"] == "filetransfer/list")
            assert (listed["cwd"], listed["files"]) == (str(shared), [])
            (shared / "notes.txt").write_bytes(b"12345")
            (shared / "folder").mkdir()
            await alice.send("filetransfer/refresh")
            listed = await alice.wait_for("filetransfer/list")
            assert listed["files"] == [
                {"name": "folder", "type": "dir", "size": 0},
                {"name": "notes.txt", "type": "file", "size": 5},
            ]
        finally:
            await alice.close()


async def test_broadcast_and_open_in_app_refusals_are_system_errors(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await bob.send("broadcast/create", url="rtmp://127.0.0.1/live")
    assert (await bob.wait_for("system/error"))["message"] == "only administrators may do this"
    await alice.send("broadcast/destroy")
    assert (await alice.wait_for("system/error"))["message"] == "server is not broadcasting"
    await alice.send("openinapp/openlink", text="https://example.com")
    assert (await alice.wait_for("system/error"))["message"] == "openinapp is disabled"


async def test_the_v2_socket_sits_under_the_path_prefix() -> None:
    with live_server(make_config(NEKO_SERVER_PATH_PREFIX="/neko")) as server:
        alice = await V2Client.connect(server.port, ADMIN_PASSWORD, "alice", prefix="/neko")
        try:
            assert (await alice.next())["event"] == "member/list"
            await alice.send("client/heartbeat")
        finally:
            await alice.close()
        with pytest.raises(websockets.exceptions.InvalidStatus):
            await V2Client.connect(server.port, ADMIN_PASSWORD, "alice")


async def test_a_profile_that_may_not_connect_is_told_why() -> None:
    config = make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_connect": false}')
    with live_server(config) as server:
        bob = await V2Client.connect(server.port, USER_PASSWORD, "bob")
        try:
            goodbye = await bob.next()
            assert goodbye == {"event": "system/disconnect", "title": "", "message": "connection disabled"}
            await asyncio.wait_for(bob.connection.wait_closed(), 10)
        finally:
            await bob.close()
