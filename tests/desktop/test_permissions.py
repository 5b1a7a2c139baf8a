"""Neko's guards on every screen and keyboard operation, over REST and the WebSocket."""

from __future__ import annotations

import httpx
import pytest

from nekoapi.desktop.xserver import XServer

from ..support.client import ApiClient, api_client
from ..support.factory import make_config
from .conftest import desktop_config, send

pytestmark = pytest.mark.desktop

SCREEN_BODY = {"width": 1280, "height": 720, "rate": 30}
# (method, path, body, guards in Neko's order)
OPERATIONS = [
    ("GET", "/api/room/screen", None, "watch"),
    ("POST", "/api/room/screen", SCREEN_BODY, "watch,admin"),
    ("GET", "/api/room/screen/configurations", None, "watch,admin"),
    ("GET", "/api/room/screen/shot.jpg", None, "watch,admin"),
    ("GET", "/api/room/keyboard/map", None, "host-able"),
    ("POST", "/api/room/keyboard/map", {"layout": "us"}, "host-able,host"),
    ("GET", "/api/room/keyboard/modifiers", None, "host-able"),
    ("POST", "/api/room/keyboard/modifiers", {"capslock": False}, "host-able,host"),
]


async def call(client: ApiClient, method: str, path: str, body: object, headers: dict[str, str]) -> httpx.Response:
    return await client.request(method, path, json=body, headers=headers)


# One app per rule, every operation checked in it: an app start costs more than the calls.


async def test_without_credentials_401(desktop: ApiClient) -> None:
    for method, path, body, _ in OPERATIONS:
        assert (await call(desktop, method, path, body, {})).status_code == 401, path


async def test_a_profile_that_may_neither_watch_nor_host(x_server: XServer) -> None:
    profile = '{"can_watch": false, "can_host": false}'
    async with api_client(desktop_config(x_server, NEKO_MEMBER_MULTIUSER_USER_PROFILE=profile)) as client:
        user = await client.login_user()
        for method, path, body, guards in OPERATIONS:
            reply = await call(client, method, path, body, user.bearer)
            expected = "session cannot watch" if "watch" in guards else "session cannot host"
            assert (reply.status_code, reply.json()["message"]) == (403, expected), path


async def test_an_ordinary_user_who_does_not_host(desktop: ApiClient) -> None:
    user = await desktop.login_user()
    for method, path, body, guards in OPERATIONS:
        reply = await call(desktop, method, path, body, user.bearer)
        status, message = reply.status_code, reply.json().get("message") if reply.status_code != 200 else None
        if "admin" in guards:
            assert (status, message) == (403, "session is not admin"), path
        elif guards.endswith(",host"):
            assert (status, message) == (403, "session is not host"), path
        else:
            assert status == 200, path


async def test_the_api_token_may_watch_and_host_as_nekos_api_session(x_server: XServer) -> None:
    token = "api-token-for-the-desktop-test-0123456789"
    api = {"Authorization": f"Bearer {token}"}
    async with api_client(desktop_config(x_server, NEKO_SESSION_API_TOKEN=token)) as client:
        for method, path, body, guards in OPERATIONS:
            reply = await call(client, method, path, body, api)
            expected = (403, "session is not host") if guards.endswith(",host") else (200, None)
            assert (reply.status_code, reply.json().get("message") if reply.status_code != 200 else None) == expected
        assert (await client.post("/api/room/control/request", headers=api)).status_code == 204
        for method, path, body, _ in OPERATIONS:
            assert (await call(client, method, path, body, api)).status_code in (200, 204), path


async def test_private_mode_keeps_non_admins_off_the_keyboard(desktop: ApiClient) -> None:
    admin, user = await desktop.login_admin(), await desktop.login_user()
    await desktop.post("/api/room/control/request", headers=admin.bearer)
    await desktop.post("/api/room/settings", json={"private_mode": True}, headers=admin.bearer)
    for method, path, body, guards in OPERATIONS:
        reply = await call(desktop, method, path, body, user.bearer)
        if "host-able" in guards:
            assert (reply.status_code, reply.json()["message"]) == (422, "private mode is enabled"), path
        assert (await call(desktop, method, path, body, admin.bearer)).status_code in (200, 204), path


async def test_without_a_desktop_503() -> None:
    async with api_client(make_config()) as client:  # desktop.enabled false: the tests' default
        admin = await client.login_admin()
        await client.post("/api/room/control/request", headers=admin.bearer)
        for method, path, body, _ in OPERATIONS:
            reply = await call(client, method, path, body, admin.bearer)
            assert reply.status_code == 503, path
            message = reply.json()["message"]
            assert message == "desktop is not available: desktop.enabled is false"


async def test_websocket_input_follows_the_control_rules(desktop: ApiClient) -> None:
    admin, user = await desktop.login_admin(), await desktop.login_user()
    desktop_manager = desktop.app.services.desktop
    await desktop.post("/api/room/settings", json={"locked_controls": True}, headers=admin.bearer)
    await send(desktop, user, "control/move", {"x": 5, "y": 5})
    assert desktop.app.services.sessions.host_id is None  # locked: a non-admin cannot take control
    await desktop.post(
        "/api/room/settings", json={"locked_controls": False, "private_mode": True}, headers=admin.bearer
    )
    await send(desktop, user, "control/move", {"x": 5, "y": 5})
    assert desktop.app.services.sessions.host_id is None  # private mode
    await send(desktop, user, "screen/set", {"width": 800, "height": 600, "rate": 60})
    assert desktop_manager.screen() == {"width": 1280, "height": 720, "rate": 30}  # only admins switch
    await send(desktop, admin, "screen/set", {"width": 800, "height": 600, "rate": 60})
    assert desktop_manager.screen() == {"width": 800, "height": 600, "rate": 60}
    await desktop.post("/api/room/screen", json=SCREEN_BODY, headers=admin.bearer)


async def test_a_profile_without_can_host_never_controls(x_server: XServer) -> None:
    profile = '{"can_host": false}'
    async with api_client(desktop_config(x_server, NEKO_MEMBER_MULTIUSER_USER_PROFILE=profile)) as client:
        user = await client.login_user()
        await send(client, user, "control/move", {"x": 9, "y": 9})
        assert client.app.services.sessions.host_id is None
