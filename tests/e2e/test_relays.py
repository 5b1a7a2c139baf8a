"""``send/unicast`` and ``send/broadcast`` between real sockets: on one server, and across two workers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from nekoapi.config import Config
from tests.e2e.test_room_events import Room, open_room
from tests.support.client import ApiClient
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import EventClient
from tests.support.patience import REPLY
from tests.support.process import serve
from tests.support.redis import redis_env


@pytest.fixture
async def room(config: Config) -> AsyncIterator[Room]:
    async for r in open_room(config):
        yield r


async def next_relay(client: EventClient) -> tuple[str, dict]:
    """The next send/* event: anything else (session/state, heartbeats) is skipped."""
    while True:
        message = await client.next()
        if message["event"].startswith("send/"):
            return message["event"], message["payload"]


async def test_unicast_reaches_only_its_receiver(room: Room) -> None:
    alice, alice_ws = await room.join("alice")
    bob, bob_ws = await room.join("bob")
    carol, carol_ws = await room.join("carol")

    await alice_ws.send("send/unicast", {"receiver": bob.id, "subject": "hello", "body": {"n": 1}})
    await alice_ws.send("send/unicast", {"receiver": carol.id, "subject": "second", "body": [1, 2]})

    assert await next_relay(bob_ws) == (
        "send/unicast",
        {"sender": alice.id, "receiver": bob.id, "subject": "hello", "body": {"n": 1}},
    )
    # carol's first relay is the one meant for her: bob's message never reached her.
    assert await next_relay(carol_ws) == (
        "send/unicast",
        {"sender": alice.id, "receiver": carol.id, "subject": "second", "body": [1, 2]},
    )


async def test_broadcast_reaches_everyone_but_the_sender(room: Room) -> None:
    alice, alice_ws = await room.join("alice")
    _, bob_ws = await room.join("bob")
    _, carol_ws = await room.join("carol", admin=True)

    await alice_ws.send("send/broadcast", {"subject": "all", "body": "hi"})
    # Then one to herself: if the broadcast had reached her, it would come first.
    await alice_ws.send("send/unicast", {"receiver": alice.id, "subject": "me", "body": None})

    expected = ("send/broadcast", {"sender": alice.id, "subject": "all", "body": "hi"})
    assert await next_relay(bob_ws) == expected
    assert await next_relay(carol_ws) == expected
    event, payload = await next_relay(alice_ws)
    assert (event, payload["subject"]) == ("send/unicast", "me")


async def test_malformed_relays_are_dropped_and_the_socket_keeps_working(room: Room) -> None:
    alice, alice_ws = await room.join("alice")
    bob, bob_ws = await room.join("bob")
    await alice_ws.send("send/unicast", {"subject": "no receiver"})
    await alice_ws.send("send/unicast", {"receiver": "nobody-here", "subject": "x", "body": 1})
    await alice_ws.send("send/broadcast", "not an object")
    await alice_ws.send("send/unicast", {"receiver": bob.id, "subject": "ok", "body": 2})
    event, payload = await next_relay(bob_ws)
    assert (event, payload["subject"], payload["sender"]) == ("send/unicast", "ok", alice.id)


# --- two workers, one room (Redis) ---


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[tuple[ApiClient, str], tuple[ApiClient, str]]]:
    env = {
        **redis_env(),
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    with serve(**env) as a, serve(**env) as b:
        async with (
            ApiClient(base_url=a.url, timeout=REPLY) as http_a,
            ApiClient(base_url=b.url, timeout=REPLY) as http_b,
        ):
            yield (http_a, a.ws_url("")[: -len("?token=")]), (http_b, b.ws_url("")[: -len("?token=")])


async def connect(http: ApiClient, ws_base: str, name: str) -> tuple[str, EventClient]:
    login = await http.login_user(name)
    client = await EventClient.connect(f"{ws_base}?token={login.token}")
    await client.wait_for("system/init")
    return login.id, client


async def test_relays_cross_workers(two_nodes: tuple[tuple[ApiClient, str], tuple[ApiClient, str]]) -> None:
    (http_a, ws_a), (http_b, ws_b) = two_nodes
    alice, alice_ws = await connect(http_a, ws_a, "alice")
    bob, bob_ws = await connect(http_b, ws_b, "bob")
    carol, carol_ws = await connect(http_a, ws_a, "carol")
    # Everyone has heard of everyone before anything is relayed.
    await alice_ws.wait_for("session/state", id=bob, is_connected=True)
    await bob_ws.wait_for("session/state", id=carol, is_connected=True)

    await alice_ws.send("send/unicast", {"receiver": bob, "subject": "to b", "body": {"x": 1}})
    assert await next_relay(bob_ws) == (
        "send/unicast",
        {"sender": alice, "receiver": bob, "subject": "to b", "body": {"x": 1}},
    )

    await bob_ws.send("send/broadcast", {"subject": "from b", "body": [True]})
    await bob_ws.send("send/unicast", {"receiver": bob, "subject": "me", "body": None})
    expected = ("send/broadcast", {"sender": bob, "subject": "from b", "body": [True]})
    assert await next_relay(alice_ws) == expected
    assert await next_relay(carol_ws) == expected
    assert (await next_relay(bob_ws))[1]["subject"] == "me"

    # Chat goes the same way: a message sent on A reaches the socket on B.
    await alice_ws.send("chat/message", {"text": "across"})
    message = await bob_ws.wait_for("chat/message")
    assert message["id"] == alice and message["content"] == {"text": "across"}
    for client in (alice_ws, bob_ws, carol_ws):
        await client.close()
