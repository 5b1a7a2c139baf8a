"""The seed, end to end: a live WebSocket is forcibly disconnected and may come back."""

from __future__ import annotations

import asyncio

import pytest

from nekoapi.config import Config
from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer


@pytest.mark.parametrize("frames", [True, False], ids=["frames", "asgi"])
async def test_disconnect_closes_the_socket_and_the_token_reconnects(server: LiveServer, http: ApiClient) -> None:
    admin = await http.login_admin()
    user = await http.login_user()
    watcher = await EventClient.connect(server.ws_url(admin.token))
    await watcher.wait_for("system/init")
    client = await EventClient.connect(server.ws_url(user.token))
    init = await client.wait_for("system/init")
    assert init["session_id"] == user.id
    await watcher.wait_for("session/state", id=user.id, is_connected=True)

    response = await http.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)
    assert response.status_code == 204

    assert await client.wait_for("system/disconnect") == {"message": "session disconnected"}
    close = await client.closed()
    assert close is not None and close.code == 1000 and close.reason == "session disconnected"
    await watcher.wait_for("session/state", id=user.id, is_connected=False)
    listed = (await http.get(f"/api/sessions/{user.id}", headers=admin.bearer)).json()
    assert listed["state"]["is_connected"] is False

    again = await EventClient.connect(server.ws_url(user.token))
    assert (await again.wait_for("system/init"))["session_id"] == user.id
    await watcher.wait_for("session/state", id=user.id, is_connected=True)
    for ws in (again, watcher):
        await ws.close()


async def test_system_init_carries_every_field(server: LiveServer, http: ApiClient) -> None:
    admin = await http.login_admin()
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(admin.token))
    init = await client.wait_for("system/init")
    assert set(init) == {
        "session_id", "control_host", "screen_size", "sessions", "settings",
        "touch_events", "screencast_enabled", "webrtc",
    }  # fmt: skip
    assert init["control_host"] == {"has_host": False}
    assert set(init["sessions"]) == {admin.id, user.id}
    assert init["sessions"][user.id]["profile"]["name"] == "user"
    assert init["settings"]["merciful_reconnect"] is True
    assert init["settings"]["heartbeat_interval"] == 10
    assert init["webrtc"] == {"videos": ["main"]}  # capture.video.ids, Neko's default
    admin_info = await client.wait_for("system/admin")
    assert admin_info["broadcast_status"] == {"is_active": False}  # Neko omits an empty url
    await client.close()


async def test_users_get_no_admin_event(server: LiveServer, http: ApiClient) -> None:
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(user.token))
    await client.wait_for("system/init")
    assert (await client.next())["event"] == "session/state"
    await client.close()
    assert "system/admin" not in [m["event"] for m in client.seen]


async def test_removing_a_session_closes_it_for_good(server: LiveServer, http: ApiClient) -> None:
    admin = await http.login_admin()
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(user.token))
    await client.wait_for("system/init")
    assert (await http.delete(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 204
    assert await client.wait_for("system/disconnect") == {"message": "session deleted"}
    assert (await client.closed()).reason == "session deleted"  # type: ignore[union-attr]
    retry = await EventClient.connect(server.ws_url(user.token))
    assert await retry.wait_for("system/disconnect") == {"message": "invalid or missing credentials"}


async def test_logout_closes_the_callers_socket(server: LiveServer, http: ApiClient) -> None:
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(user.token))
    await client.wait_for("system/init")
    assert (await http.post("/api/logout", headers=user.bearer)).status_code == 200
    assert await client.wait_for("system/disconnect") == {"message": "session deleted"}


@pytest.fixture
def config() -> Config:
    # A short grace period, so the tests below do not wait Neko's 5 s.
    return make_config(NEKO_SESSION_RECONNECT_GRACE="0.6")


async def connected(http: ApiClient, admin_bearer: dict[str, str], session_id: str) -> bool:
    body = (await http.get(f"/api/sessions/{session_id}", headers=admin_bearer)).json()
    return bool(body["state"]["is_connected"])


async def test_an_abnormal_close_disconnects_only_after_the_grace_period(server: LiveServer, http: ApiClient) -> None:
    admin = await http.login_admin()
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(user.token))
    await client.wait_for("system/init")
    client.connection.transport.abort()  # no close frame: the network dropped
    await asyncio.sleep(0.2)
    assert await connected(http, admin.bearer, user.id) is True
    await asyncio.sleep(0.8)
    assert await connected(http, admin.bearer, user.id) is False


async def test_reconnecting_within_the_grace_period_keeps_the_session_connected(
    server: LiveServer, http: ApiClient
) -> None:
    admin = await http.login_admin()
    user = await http.login_user()
    watcher = await EventClient.connect(server.ws_url(admin.token))
    await watcher.wait_for("system/init")
    client = await EventClient.connect(server.ws_url(user.token))
    await client.wait_for("system/init")
    await watcher.wait_for("session/state", id=user.id, is_connected=True)
    client.connection.transport.abort()
    await asyncio.sleep(0.2)
    back = await EventClient.connect(server.ws_url(user.token))
    await back.wait_for("system/init")
    await asyncio.sleep(0.8)
    assert await connected(http, admin.bearer, user.id) is True
    await watcher.send("client/heartbeat")
    with pytest.raises(TimeoutError):
        await watcher.wait_for("session/state", timeout=0.3, id=user.id, is_connected=False)
    await back.close()
    await watcher.close()
