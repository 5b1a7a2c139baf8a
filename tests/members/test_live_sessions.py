"""What a member change does to that member's live session, seen on real WebSockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from nekoapi.events import SessionConnected

from ..support.factory import ADMIN_PASSWORD, make_config
from ..support.live import EventClient, LiveServer, live_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    config = make_config(NEKO_MEMBER_PROVIDER="sqlite", NEKO_MEMBER_SQLITE_PATH=str(tmp_path / "members.db"))
    with live_server(config) as running:
        yield running


class Room:
    """An administrator and member ``bob``, both logged in with a WebSocket open."""

    def __init__(self, server: LiveServer, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http
        self.admin_headers: dict[str, str] = {}
        self.bob_token = ""
        self.admin_ws: EventClient
        self.bob_ws: EventClient
        self.loop: asyncio.AbstractEventLoop | None = None

    async def login(self, username: str, password: str) -> str:
        response = await self.http.post("/api/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]  # type: ignore[no-any-return]

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.http.request(method, path, json=body, headers=self.admin_headers)


@pytest.fixture
async def room(server: LiveServer) -> AsyncIterator[Room]:
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=server.http_url))
        room = Room(server, http)
        # The server runs its own event loop in a thread; remember it to act inside it.
        remember_loop = lambda _event: setattr(room, "loop", asyncio.get_running_loop())  # noqa: E731
        server.app.services.bus.subscribe(SessionConnected, remember_loop)
        room.admin_headers = {"Authorization": f"Bearer {await room.login('admin', ADMIN_PASSWORD)}"}
        created = await room.admin("POST", "/api/members", {"username": "bob", "password": "bob-pw"})
        assert created.status_code == 200
        room.bob_token = await room.login("bob", "bob-pw")
        room.admin_ws = await EventClient.connect(server.ws_url(room.admin_headers["Authorization"][7:]))
        stack.push_async_callback(room.admin_ws.close)
        room.bob_ws = await EventClient.connect(server.ws_url(room.bob_token))
        stack.push_async_callback(room.bob_ws.close)
        await room.admin_ws.wait_for("session/state", id="bob", is_connected=True)
        yield room


async def test_profile_update_reaches_the_live_session(room: Room) -> None:
    assert (await room.admin("POST", "/api/members/bob", {"name": "Robert"})).status_code == 204
    for ws in (room.admin_ws, room.bob_ws):
        payload = await ws.wait_for("session/profile", id="bob")
        assert payload["name"] == "Robert"
        assert payload["can_connect"] is True
    session = await room.admin("GET", "/api/sessions/bob")
    assert session.json()["profile"]["name"] == "Robert"
    assert session.json()["state"]["is_connected"] is True


@pytest.mark.parametrize("permission", ["can_login", "can_connect"])
async def test_removing_login_or_connect_closes_the_socket(room: Room, permission: str) -> None:
    assert (await room.admin("POST", "/api/members/bob", {permission: False})).status_code == 204
    assert await room.bob_ws.wait_for("system/disconnect") == {"message": "profile changed"}
    close = await room.bob_ws.closed()
    assert close is not None and close.reason == "profile changed"
    await room.admin_ws.wait_for("session/state", id="bob", is_connected=False)
    whoami = await room.http.get("/api/whoami", headers={"Authorization": f"Bearer {room.bob_token}"})
    assert whoami.status_code == (403 if permission == "can_login" else 200)


async def test_removing_can_host_releases_control(room: Room) -> None:
    sessions = room.server.app.services.sessions
    assert room.loop is not None
    room.loop.call_soon_threadsafe(lambda: sessions.state.set_host("bob", changed_by="bob"))
    await room.admin_ws.wait_for("control/host", has_host=True, host_id="bob")
    assert (await room.admin("POST", "/api/members/bob", {"can_host": False})).status_code == 204
    released = await room.admin_ws.wait_for("control/host", has_host=False)
    assert "host_id" not in released
    # Hosting was the only thing taken away: bob stays connected.
    await room.bob_ws.wait_for("session/profile", id="bob", can_host=False)
    assert (await room.admin("GET", "/api/sessions/bob")).json()["state"]["is_connected"] is True


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("DELETE", "/api/members/bob", None), ("POST", "/api/members_bulk/delete", {"ids": ["bob"]})],
)
async def test_removing_the_member_deletes_its_session(room: Room, method: str, path: str, body: Any) -> None:
    assert (await room.admin(method, path, body)).status_code == 204
    assert await room.bob_ws.wait_for("system/disconnect") == {"message": "session deleted"}
    close = await room.bob_ws.closed()
    assert close is not None and close.reason == "session deleted"
    assert await room.admin_ws.wait_for("session/deleted", id="bob") == {"id": "bob"}
    whoami = await room.http.get("/api/whoami", headers={"Authorization": f"Bearer {room.bob_token}"})
    assert whoami.status_code == 401
    assert (await room.admin("GET", "/api/sessions/bob")).status_code == 404


async def test_bulk_update_applies_to_every_listed_session(room: Room) -> None:
    body = {"ids": ["bob", "admin"], "profile": {"can_watch": False}}
    assert (await room.admin("POST", "/api/members_bulk/update", body)).status_code == 204
    for member_id in ("bob", "admin"):
        await room.bob_ws.wait_for("session/profile", id=member_id, can_watch=False)
