"""Several real WebSocket clients on a real server: who sees which room and session event."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from nekoapi.config import Config
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import EventClient, LiveServer, live_server


class Member:
    def __init__(self, http: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.http = http
        self.id: str = body["id"]
        self.token: str = body["token"]
        self.ws: EventClient | None = None

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.bearer)


class Room:
    def __init__(self, server: LiveServer, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http
        self.sockets: list[EventClient] = []

    async def login(self, name: str, *, admin: bool = False) -> Member:
        password = ADMIN_PASSWORD if admin else USER_PASSWORD
        response = await self.http.post("/api/login", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        return Member(self.http, response.json())

    async def connect(self, member: Member, **kwargs: Any) -> EventClient:
        member.ws = await EventClient.connect(self.server.ws_url(member.token), **kwargs)
        self.sockets.append(member.ws)
        await member.ws.wait_for("session/state", id=member.id, is_connected=True)
        return member.ws

    async def join(self, name: str, *, admin: bool = False) -> tuple[Member, EventClient]:
        member = await self.login(name, admin=admin)
        return member, await self.connect(member)


async def open_room(config: Config, *, frames: bool = True) -> AsyncIterator[Room]:
    with live_server(config, frames=frames) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            room = Room(server, http)
            try:
                yield room
            finally:
                for ws in room.sockets:
                    await ws.close()


@pytest.fixture
async def room(config: Config) -> AsyncIterator[Room]:
    async for r in open_room(config):
        yield r


def events(client: EventClient) -> list[str]:
    return [m["event"] for m in client.seen]


async def test_connect_order_and_admin_only_events(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    assert events(admin_ws) == ["system/init", "system/admin", "session/state"]
    user, user_ws = await room.join("bob")
    assert events(user_ws) == ["system/init", "session/state"]
    init = user_ws.seen[0]["payload"]
    assert init["session_id"] == user.id
    assert set(init["sessions"]) == {admin.id, user.id}
    created = await admin_ws.wait_for("session/created")
    assert created["id"] == user.id
    await admin_ws.wait_for("session/state", id=user.id, is_connected=True)

    assert (await admin.post("/api/room/settings", {"locked_logins": True})).status_code == 204
    for ws in (admin_ws, user_ws):
        change = await ws.wait_for("system/settings", id=admin.id)
        assert change["locked_logins"] is True
        assert set(change) == {"id", *init["settings"]}

    assert (await user.post("/api/profile", {"name": "Bobby"})).status_code == 204
    for ws in (admin_ws, user_ws):
        profile = await ws.wait_for("session/profile", id=user.id)
        assert profile["name"] == "Bobby"
        assert profile["is_admin"] is False

    await admin.post("/api/room/settings", {"locked_logins": False})
    carol = await room.login("carol")
    for ws in (admin_ws, user_ws):
        assert (await ws.wait_for("session/created", id=carol.id))["state"]["is_connected"] is False
    deleted = await room.http.delete(f"/api/sessions/{carol.id}", headers=admin.bearer)
    assert deleted.status_code == 204
    for ws in (admin_ws, user_ws):
        assert await ws.wait_for("session/deleted", id=carol.id) == {"id": carol.id}

    await user_ws.close()
    await admin_ws.wait_for("session/state", id=user.id, is_connected=False)
    assert "system/admin" not in events(user_ws)


async def test_control_handover_sequence(room: Room) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    alice, alice_ws = await room.join("alice")
    bob, bob_ws = await room.join("bob")
    everyone = (admin_ws, alice_ws, bob_ws)

    await alice_ws.send("control/request")
    for ws in everyone:
        assert await ws.wait_for("control/host") == {"id": alice.id, "has_host": True, "host_id": alice.id}

    asked = await bob.post("/api/room/control/request")
    assert asked.status_code == 202
    assert asked.json() == {"code": 202, "message": "control request sent"}
    assert await alice_ws.wait_for("control/request") == {"id": bob.id}

    assert (await alice.post(f"/api/room/control/give/{bob.id}")).status_code == 204
    for ws in everyone:
        assert await ws.wait_for("control/host") == {"id": alice.id, "has_host": True, "host_id": bob.id}

    assert (await admin.post("/api/room/control/take")).status_code == 204
    for ws in everyone:
        assert await ws.wait_for("control/host") == {"id": admin.id, "has_host": True, "host_id": admin.id}

    assert (await admin.post("/api/room/control/reset")).status_code == 204
    for ws in everyone:
        assert await ws.wait_for("control/host") == {"id": admin.id, "has_host": False}

    await bob_ws.send("control/request")
    await bob_ws.send("control/release")
    await bob_ws.send("control/request")
    for ws in everyone:
        assert (await ws.wait_for("control/host"))["host_id"] == bob.id
        assert (await ws.wait_for("control/host")) == {"id": bob.id, "has_host": False}
        assert (await ws.wait_for("control/host"))["host_id"] == bob.id

    await bob_ws.close()
    for ws in (admin_ws, alice_ws):
        assert await ws.wait_for("control/host") == {"id": bob.id, "has_host": False}
        await ws.wait_for("session/state", id=bob.id, is_connected=False)
    # Nobody but the host heard bob's refused request.
    assert "control/request" not in events(admin_ws) + events(bob_ws)


async def test_control_protection_follows_the_admins() -> None:
    async for room in open_room(make_config(NEKO_SESSION_CONTROL_PROTECTION="true")):
        user, user_ws = await room.join("bob")
        assert user_ws.seen[0]["payload"]["settings"]["locked_controls"] is True
        assert (await user.post("/api/room/control/request")).status_code == 403

        admin, admin_ws = await room.join("root", admin=True)
        assert (await user_ws.wait_for("system/settings", id=admin.id))["locked_controls"] is False
        assert (await user.post("/api/room/control/request")).status_code == 204
        await user_ws.wait_for("control/host", host_id=user.id)

        await admin_ws.close()
        assert await user_ws.wait_for("control/host") == {"id": admin.id, "has_host": False}
        assert (await user_ws.wait_for("system/settings", id=admin.id))["locked_controls"] is True
        await user_ws.wait_for("session/state", id=admin.id, is_connected=False)
        assert (await user.post("/api/room/control/request")).status_code == 403

        await room.connect(admin)  # the same session comes back
        assert (await user_ws.wait_for("system/settings", id=admin.id))["locked_controls"] is False
        assert (await user.post("/api/room/control/request")).status_code == 204


async def test_garbage_on_the_socket_is_ignored(room: Room) -> None:
    alice, alice_ws = await room.join("alice")
    for raw in ["{not json", "[]", '{"event": 1}', '{"event": "no/such", "payload": 3}']:
        await alice_ws.connection.send(raw)
    await alice_ws.connection.send(b'{"event": "control/request"}')
    assert (await alice_ws.wait_for("control/host"))["host_id"] == alice.id


def tiny_receive_buffer_socket(port: int) -> socket.socket:
    # A small receive window makes the server's writes back up after a few messages.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def admin_and_slow_reader(room: Any) -> tuple[Any, EventClient, Any, EventClient]:
    """An admin who reads every event, and a user whose socket stops reading after a few messages."""
    admin, admin_ws = await room.join("root", admin=True)
    slow = await room.login("slow")
    slow_ws = await room.connect(slow, sock=tiny_receive_buffer_socket(room.server.port), max_queue=1, compression=None)
    return admin, admin_ws, slow, slow_ws


async def change_settings_and_wait(admin: Any, admin_ws: EventClient, n: int, blob: str, slow_id: str) -> bool:
    """One large settings change, read by the admin until it arrives; True if the slow session was dropped meanwhile."""
    assert (await admin.post("/api/room/settings", {"plugins": {"n": n, "blob": blob}})).status_code == 204
    dropped = False
    while True:
        message = await admin_ws.next()
        payload = message["payload"] or {}
        if message["event"] == "session/state" and payload.get("id") == slow_id:
            dropped = dropped or payload["is_connected"] is False
        if message["event"] == "system/settings" and payload["plugins"]["n"] == n:
            return dropped


@pytest.mark.parametrize("frames", [True, False], ids=["frames", "asgi"])
async def test_a_client_that_stops_reading_does_not_delay_the_others(frames: bool) -> None:
    config = make_config(NEKO_SESSION_SEND_QUEUE_SIZE="8")
    blob = "x" * 32_768
    async for room in open_room(config, frames=frames):
        admin, admin_ws, slow, slow_ws = await admin_and_slow_reader(room)
        dropped, worst = False, 0.0
        for n in range(400):
            started = time.monotonic()
            # every event reaches the reading client before the next change is made
            dropped = await change_settings_and_wait(admin, admin_ws, n, blob, slow.id)
            worst = max(worst, time.monotonic() - started)
            if dropped:
                break
        assert dropped, "the server never gave up on the client that does not read"
        assert worst < 1.5, f"an event to the reading client took {worst:.2f}s"

        close = await asyncio.wait_for(slow_ws.closed(), 10)  # the slow client reads again
        assert slow_ws.seen[-1] == {"event": "system/disconnect", "payload": {"message": "connection too slow"}}
        assert close is not None
        assert (close.code, close.reason) == (1000, "connection too slow")
        stats = (await room.http.get("/api/stats", headers=admin.bearer)).json()
        assert (stats["total_users"], stats["total_admins"]) == (0, 1)
