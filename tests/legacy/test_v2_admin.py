"""The v2 UI's administrator events over /ws (kick, ban, mute, lock), as Neko's legacy layer maps
them onto the room (``server/internal/http/legacy/wstobackend.go``, ``wstoclient.go``)."""

from __future__ import annotations

import asyncio

import httpx

from nekoapi.contract import raw_spec
from nekoapi.legacy.inbound import ADMIN_CALLS, CALLS
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer

from .conftest import Connect
from .v2client import V2Client

ADMIN_LOCK = {"event", "resource", "id"}  # message.AdminLock


async def test_a_kicked_member_is_told_kicked_and_leaves(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await alice.send("admin/kick", id=bob.id)
    assert await bob.wait_for("system/disconnect") == {"event": "system/disconnect", "title": "", "message": "kicked"}
    await asyncio.wait_for(bob.connection.wait_closed(), 10)
    assert await alice.wait_for("member/disconnected") == {"event": "member/disconnected", "id": bob.id}


async def test_a_banned_address_is_refused_on_every_v2_path(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await alice.send("admin/ban", id=bob.id)  # every test client is 127.0.0.1: alice's own address too
    assert (await bob.wait_for("system/disconnect"))["message"] == "kicked"
    again = await V2Client.connect(server.port, USER_PASSWORD, "bob")
    assert await again.next() == {"event": "system/disconnect", "title": "banned ip", "message": "you are banned"}
    await again.close()
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        stats = await http.get("/stats", params={"pwd": ADMIN_PASSWORD})
    assert (stats.status_code, stats.json()) == (403, {"message": "banned ip", "code": 403})


async def test_banning_a_session_that_is_not_a_v2_one_does_nothing(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    await alice.send("admin/ban", id="no-such-session")
    await alice.send("chat/message", content="after")
    await alice.wait_for("chat/message", content="after")
    assert not [m for m in alice.seen if m["event"] == "system/error"]  # Neko only logs it
    bob = await connect("bob")  # nobody was banned
    assert bob.id


async def test_mute_and_unmute(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await alice.send("admin/mute", id=bob.id)
    muted = {"event": "admin/mute", "target": bob.id, "id": ""}  # v3 does not say who muted
    for client in (alice, bob):
        assert await client.wait_for("admin/mute") == muted
    await bob.send("chat/message", content="muted?")
    await alice.send("chat/message", content="only this")
    assert (await alice.wait_for("chat/message"))["content"] == "only this"
    await alice.send("admin/unmute", id=bob.id)
    assert await bob.wait_for("admin/unmute") == {"event": "admin/unmute", "target": bob.id, "id": ""}
    await bob.send("chat/message", content="back")
    assert await alice.wait_for("chat/message") == {"event": "chat/message", "id": bob.id, "content": "back"}


async def test_a_muted_member_is_listed_muted_to_newcomers(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await alice.send("admin/mute", id=bob.id)
    await alice.wait_for("admin/mute")
    carol = await connect("carol")
    members = next(m for m in carol.greeting if m["event"] == "member/list")["members"]
    assert {"id": bob.id, "displayname": "bob", "admin": False, "muted": True} in members


async def test_locking_controls_and_logins(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    await alice.send("admin/lock", resource="control")
    lock = {"event": "admin/lock", "resource": "control", "id": alice.id}
    for client in (alice, bob):
        assert await client.wait_for("admin/lock") == lock
    await bob.send("control/request")  # refused silently, as the v3 event is
    await alice.send("admin/lock", resource="login")
    assert await bob.wait_for("admin/lock") == {"event": "admin/lock", "resource": "login", "id": alice.id}
    refused = await V2Client.connect(server.port, USER_PASSWORD, "carol")
    assert await refused.next() == {
        "event": "system/disconnect",
        "title": "couldn't create a new session",
        "message": "error response from backend: logins are locked for non-administrators",
    }
    await refused.close()
    await alice.send("admin/unlock", resource="control")
    assert await bob.wait_for("admin/unlock") == {"event": "admin/unlock", "resource": "control", "id": alice.id}
    assert not [m for m in bob.seen if m["event"] == "control/locked"]  # bob's request found controls locked
    carol = await connect("carol", admin=True)
    init = next(m for m in carol.greeting if m["event"] == "system/init")
    assert init["locks"] == {"login": ""}


async def test_file_transfer_lock_is_the_rooms_plugin_setting(connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    await alice.send("admin/lock", resource="file_transfer")
    message = await alice.wait_for("admin/lock")
    assert set(message) == ADMIN_LOCK and message["resource"] == "file_transfer"
    bob = await connect("bob")
    assert next(m for m in bob.greeting if m["event"] == "system/init")["locks"] == {"file_transfer": ""}


def test_the_calls_administrators_make_are_the_spec_operations_for_administrators() -> None:
    access = {
        op["operationId"]: op.get("x-nekoapi-access")
        for path in raw_spec()["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    admin_operations = {event for event, operation in CALLS.items() if access[operation] == "admin"}
    assert admin_operations == ADMIN_CALLS
