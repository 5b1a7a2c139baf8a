"""Connecting to /api/ws: every credential scheme, refusals, reconnects, heartbeats."""

from __future__ import annotations

import asyncio

import pytest

from nekoapi import errors
from nekoapi.members import PROVIDERS
from nekoapi.members.refusals import NoMembers
from nekoapi.models import MemberProfile
from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server

API_TOKEN = "w" * 48


async def test_bearer_header_and_cookie_authenticate_the_socket(server: LiveServer, http: ApiClient) -> None:
    user = await http.login_user()
    for headers in ({"Authorization": f"Bearer {user.token}"}, {"Cookie": f"NEKO_SESSION={user.token}"}):
        client = await EventClient.connect(server.ws_url(), additional_headers=headers)
        assert (await client.wait_for("system/init"))["session_id"] == user.id
        await client.close()


@pytest.mark.parametrize("token", [None, "", "0" * 64])
async def test_bad_credentials_are_refused_with_a_reason(server: LiveServer, token: str | None) -> None:
    client = await EventClient.connect(server.ws_url(token))
    assert await client.wait_for("system/disconnect") == {"message": "invalid or missing credentials"}
    close = await client.closed()
    assert close is not None and close.code == 1000


async def test_a_stale_cookie_does_not_hide_why_the_url_token_is_refused(server: LiveServer, http: ApiClient) -> None:
    admin = await http.login_admin()
    assert (await http.post("/api/profile", json={"can_login": False}, headers=admin.bearer)).status_code == 204
    stale = {"Cookie": "NEKO_SESSION=" + "f" * 64}
    client = await EventClient.connect(server.ws_url(admin.token), additional_headers=stale)
    # The real session's refusal, not the unknown cookie's.
    assert await client.wait_for("system/disconnect") == {"message": "login is disabled for this session"}


async def test_the_api_session_cannot_open_a_socket() -> None:
    with live_server(make_config(NEKO_SESSION_API_TOKEN=API_TOKEN)) as server:
        client = await EventClient.connect(server.ws_url(API_TOKEN))
        assert await client.wait_for("system/disconnect") == {"message": "connection disabled"}


async def test_a_member_without_can_connect_is_refused() -> None:
    with live_server(make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_connect": false}')) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        client = await EventClient.connect(server.ws_url(user.token))
        assert await client.wait_for("system/disconnect") == {"message": "connection disabled"}


async def test_merciful_reconnect_replaces_the_old_socket(server: LiveServer, http: ApiClient) -> None:
    user = await http.login_user()
    first = await EventClient.connect(server.ws_url(user.token))
    await first.wait_for("system/init")
    second = await EventClient.connect(server.ws_url(user.token))
    assert (await second.wait_for("system/init"))["session_id"] == user.id
    assert await first.wait_for("system/disconnect") == {"message": "connection replaced"}
    assert (await first.closed()).reason == "connection replaced"  # type: ignore[union-attr]
    await second.send("client/heartbeat")
    await second.close()


async def test_without_merciful_reconnect_a_second_socket_is_refused() -> None:
    with live_server(make_config(NEKO_SESSION_MERCIFUL_RECONNECT="false")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        first = await EventClient.connect(server.ws_url(user.token))
        await first.wait_for("system/init")
        second = await EventClient.connect(server.ws_url(user.token))
        assert await second.wait_for("system/disconnect") == {"message": "already connected"}
        await first.send("client/heartbeat")
        await first.close()


async def test_heartbeats_flow_and_junk_messages_are_ignored() -> None:
    with live_server(make_config(NEKO_SESSION_HEARTBEAT_INTERVAL="1")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        client = await EventClient.connect(server.ws_url(user.token))
        await client.wait_for("system/init")
        await client.connection.send("not json at all")
        await client.connection.send('{"event": 42}')
        await client.send("no/such/event", {"x": 1})
        await client.send("client/heartbeat")
        assert await client.wait_for("system/heartbeat") is None
        await client.close()


class StableIds(NoMembers):
    """A provider whose member id is the username, as Neko's file provider."""

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        if password != "pw":
            raise errors.InvalidCredentials()
        return username, MemberProfile(name=username)


async def test_login_of_a_connected_member_is_422(monkeypatch: pytest.MonkeyPatch) -> None:
    # In place of a provider the configuration knows (it refuses other names).
    monkeypatch.setitem(PROVIDERS, "noauth", lambda config: StableIds())
    with live_server(make_config(NEKO_MEMBER_PROVIDER="noauth")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            first = await http.login("zoe", "pw")
            client = await EventClient.connect(server.ws_url(first.token))
            await client.wait_for("system/init")
            again = await http.post("/api/login", json={"username": "zoe", "password": "pw"})
            assert again.status_code == 422
            assert again.json() == {"message": "session already connected", "code": 422}
            await client.close()
            await asyncio.sleep(0.1)
            replaced = await http.post("/api/login", json={"username": "zoe", "password": "pw"})
            assert replaced.status_code == 200
            assert (await http.get("/api/whoami", headers=first.bearer)).status_code == 401
