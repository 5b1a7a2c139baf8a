"""v2 and v3 clients in one room: each sees the other's joins, chat, control and locks."""

from __future__ import annotations

import httpx

from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import EventClient, LiveServer

from .conftest import Connect


async def v3_client(server: LiveServer, name: str, password: str) -> tuple[str, str, EventClient]:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        body = (await http.post("/api/login", json={"username": name, "password": password})).json()
    client = await EventClient.connect(server.ws_url(body["token"]))
    await client.wait_for("system/init")
    return body["id"], body["token"], client


async def test_a_v2_member_and_a_v3_member_see_each_other_join_and_leave(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    victor_id, _, victor = await v3_client(server, "victor", USER_PASSWORD)
    try:
        assert await alice.wait_for("member/connected") == {
            "event": "member/connected",
            "id": victor_id,
            "displayname": "victor",
            "admin": False,
            "muted": False,
        }
        bob = await connect("bob")
        created = await victor.wait_for("session/created", id=bob.id)
        assert created["profile"]["name"] == "bob"
        await victor.wait_for("session/state", id=bob.id, is_connected=True)
        await bob.close()
        await victor.wait_for("session/deleted", id=bob.id)  # a v2 socket's session ends with it
    finally:
        await victor.close()
    assert await alice.wait_for("member/disconnected", id=bob.id)
    await alice.wait_for("member/disconnected", id=victor_id)


async def test_chat_crosses_both_ways(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    victor_id, _, victor = await v3_client(server, "victor", USER_PASSWORD)
    try:
        await alice.send("chat/message", content="from v2")
        message = await victor.wait_for("chat/message", id=alice.id)
        assert message["content"] == {"text": "from v2"}
        await victor.send("chat/message", {"text": "from v3"})
        assert await alice.wait_for("chat/message", id=victor_id) == {
            "event": "chat/message",
            "id": victor_id,
            "content": "from v3",
        }
        await alice.send("chat/emote", emote="fire")
        emote = await victor.wait_for("send/broadcast", sender=alice.id)
        assert (emote["subject"], emote["body"]) == ("emote", "fire")
    finally:
        await victor.close()


async def test_control_and_locks_cross_both_ways(server: LiveServer, connect: Connect) -> None:
    alice = await connect("alice", admin=True)
    bob = await connect("bob")
    victor_id, victor_token, victor = await v3_client(server, "victor", ADMIN_PASSWORD)
    try:
        await bob.send("control/request")
        host = await victor.wait_for("control/host", has_host=True)
        assert host["host_id"] == bob.id
        await victor.send("control/request")  # the v2 host is asked
        assert await bob.wait_for("control/requesting") == {"event": "control/requesting", "id": victor_id}
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            auth = {"Authorization": f"Bearer {victor_token}"}
            assert (await http.post("/api/room/control/take", headers=auth)).status_code == 204
            assert (
                await http.post("/api/room/settings", json={"locked_logins": True}, headers=auth)
            ).status_code == 204
        for client in (alice, bob):
            assert await client.wait_for("admin/control") == {
                "event": "admin/control",
                "id": victor_id,
                "target": bob.id,
            }
        assert await alice.wait_for("admin/lock") == {"event": "admin/lock", "resource": "login", "id": victor_id}
        await alice.send("admin/unlock", resource="login")
        settings = await victor.wait_for("system/settings", id=alice.id)
        assert settings["locked_logins"] is False
    finally:
        await victor.close()


async def test_a_v3_member_logged_in_before_and_connected_after_is_announced(
    server: LiveServer, connect: Connect
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        body = (await http.post("/api/login", json={"username": "victor", "password": USER_PASSWORD})).json()
    alice = await connect("alice", admin=True)
    members = next(m for m in alice.greeting if m["event"] == "member/list")["members"]
    assert [m["id"] for m in members] == [alice.id]  # victor is logged in, not connected
    victor = await EventClient.connect(server.ws_url(body["token"]))
    try:
        joined = await alice.wait_for("member/connected")
        assert (joined["id"], joined["displayname"]) == (body["id"], "victor")
    finally:
        await victor.close()
