"""Neko's chat plugin on a real server: chat/init, chat/message, POST /api/chat/, and who may chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from nekoapi.config import Config
from tests.e2e.test_room_events import Member, Room, open_room
from tests.support.factory import make_config
from tests.support.live import EventClient

CANNOT_SEND = {"plugins": {"chat.can_send": False}}
CANNOT_RECEIVE = {"plugins": {"chat.can_receive": False}}


@pytest.fixture
async def room(config: Config) -> AsyncIterator[Room]:
    async for r in open_room(config):
        yield r


async def next_chat(client: EventClient) -> dict:
    return await client.wait_for("chat/message")


async def say(member: Member, text: str) -> None:
    assert member.ws is not None
    await member.ws.send("chat/message", {"text": text})


async def test_chat_init_and_a_message_reaches_everyone_with_the_sender(room: Room) -> None:
    alice, alice_ws = await room.join("alice")
    _, bob_ws = await room.join("bob")
    assert await alice_ws.wait_for("chat/init") == {"enabled": True}
    order = [m["event"] for m in alice_ws.seen]
    # Plugins greet after the core's own greeting, session/state included.
    assert order.index("system/init") < order.index("session/state") < order.index("chat/init")

    await say(alice, "hello")
    for client in (alice_ws, bob_ws):
        message = await next_chat(client)
        assert message["id"] == alice.id and message["content"] == {"text": "hello"}
        assert datetime.fromisoformat(message["created"]).tzinfo is not None


async def test_room_settings_stop_users_sending_but_not_administrators(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    user, user_ws = await room.join("bob")
    assert (await admin.post("/api/room/settings", CANNOT_SEND)).status_code == 204

    await say(user, "dropped")
    await say(admin, "from admin")
    # The first message anyone sees is the administrator's: the user's was dropped.
    for client in (admin_ws, user_ws):
        assert (await next_chat(client))["content"] == {"text": "from admin"}


async def test_room_settings_stop_users_receiving(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    user, user_ws = await room.join("bob")
    assert (await admin.post("/api/room/settings", CANNOT_RECEIVE)).status_code == 204
    await say(admin, "not for users")
    assert (await next_chat(admin_ws))["content"] == {"text": "not for users"}
    # The user hears the unicast sent after the chat message, and never the chat message.
    await admin_ws.send("send/unicast", {"receiver": user.id, "subject": "after", "body": None})
    await user_ws.wait_for("send/unicast")
    assert "chat/message" not in [m["event"] for m in user_ws.seen]


@pytest.mark.parametrize(
    "config", [make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"plugins": {"chat.can_send": false}}')]
)
async def test_the_profile_stops_sending_even_where_the_room_allows_it(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    user, user_ws = await room.join("bob")
    await say(user, "dropped")
    await say(admin, "allowed")
    assert (await next_chat(user_ws))["content"] == {"text": "allowed"}  # the user still receives
    assert (await next_chat(admin_ws))["content"] == {"text": "allowed"}


@pytest.mark.parametrize(
    "config", [make_config(NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE='{"plugins": {"chat.can_send": false}}')]
)
async def test_rest_chat_needs_can_send_even_for_administrators(room: Room) -> None:
    admin, _ = await room.join("root", admin=True)
    response = await admin.post("/api/chat/", {"text": "hi"})
    assert response.status_code == 403
    assert response.json() == {"message": "not allowed to send chat messages", "code": 403}


async def test_rest_chat_is_relayed_like_a_socket_message(room: Room) -> None:
    admin = await room.login("root", admin=True)
    user, user_ws = await room.join("bob")
    assert (await admin.post("/api/chat/", {"text": "over REST"})).status_code == 204
    message = await next_chat(user_ws)
    assert message["id"] == admin.id and message["content"] == {"text": "over REST"}
    refused = await user.post("/api/chat/", {"text": "users may not"})
    assert refused.status_code == 403


@pytest.mark.parametrize("config", [make_config(NEKO_CHAT_ENABLED="false")])
async def test_chat_switched_off(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    assert await admin_ws.wait_for("chat/init") == {"enabled": False}
    assert (await admin.post("/api/chat/", {"text": "no"})).status_code == 403
    await say(admin, "no")
    await admin_ws.send("send/unicast", {"receiver": admin.id, "subject": "after", "body": None})
    await admin_ws.wait_for("send/unicast")
    assert "chat/message" not in [m["event"] for m in admin_ws.seen]
