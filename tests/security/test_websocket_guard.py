"""Cross-site WebSocket hijacking is refused; floods and oversized messages close the socket."""

from __future__ import annotations

import pytest
import websockets

from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.process import serve


async def test_a_foreign_origin_is_refused_before_the_upgrade(server: LiveServer, http: ApiClient) -> None:
    user = await http.login_user()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            server.ws_url(), additional_headers={"Cookie": f"NEKO_SESSION={user.token}"}, origin="https://evil.example"
        )
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("origin", [None, "same"])
async def test_same_origin_and_native_clients_connect(server: LiveServer, http: ApiClient, origin: str | None) -> None:
    user = await http.login_user()
    page = f"http://127.0.0.1:{server.port}" if origin == "same" else None
    client = await EventClient.connect(server.ws_url(user.token), origin=page)
    assert (await client.wait_for("system/init"))["session_id"] == user.id
    await client.close()


async def test_an_origin_listed_in_server_cors_connects() -> None:
    with live_server(make_config(NEKO_SERVER_CORS="https://app.example")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        client = await EventClient.connect(server.ws_url(user.token), origin="https://app.example")
        await client.wait_for("system/init")
        await client.close()


async def test_a_flooding_client_is_closed_with_a_reason() -> None:
    with live_server(make_config(NEKO_SESSION_WS_MESSAGE_RATE="5")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
            admin = await http.login_admin()
            client = await EventClient.connect(server.ws_url(user.token))
            await client.wait_for("system/init")
            for _ in range(50):
                await client.send("client/heartbeat")
            assert await client.wait_for("system/disconnect") == {"message": "too many messages"}
            # The session itself survives, as after a forced disconnect.
            state = (await http.get(f"/api/sessions/{user.id}", headers=admin.bearer)).json()["state"]
            assert state["is_connected"] is False


@pytest.mark.parametrize("frames", [True, False], ids=["frames", "asgi"])
async def test_an_oversized_message_closes_the_socket(frames: bool) -> None:
    with live_server(make_config(NEKO_SESSION_WS_MAX_MESSAGE_SIZE="1000"), frames=frames) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        client = await EventClient.connect(server.ws_url(user.token))
        await client.wait_for("system/init")
        await client.send("client/heartbeat", {"padding": "x" * 5000})
        assert await client.wait_for("system/disconnect") == {"message": "message too large"}


async def test_nekoapi_serve_says_why_before_closing_an_oversized_message() -> None:
    """As an operator runs it, the server refuses the message from its frame header, unread."""
    limits = {"NEKO_SESSION_WS_MAX_MESSAGE_SIZE": "1000", "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": "admin-pw"}
    with serve(**limits) as server:
        async with ApiClient(base_url=server.url) as http:
            admin = await http.login("root", "admin-pw")
            client = await EventClient.connect(server.ws_url(admin.token))
            await client.wait_for("system/init")
            await client.send("client/heartbeat", {"padding": "x" * 5000})
            assert await client.wait_for("system/disconnect") == {"message": "message too large"}
            closed = await client.closed()
            assert closed is not None and (closed.code, closed.reason) == (1009, "message too large")
            # The session itself survives, as after a forced disconnect.
            state = (await http.get(f"/api/sessions/{admin.id}", headers=admin.bearer)).json()["state"]
            assert state["is_connected"] is False
