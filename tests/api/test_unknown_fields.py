"""Request-body fields this server does not know are ignored, as by Neko's server.

A client written against a newer Neko sends fields we have never heard of; they
are neither stored nor echoed, and the fields we know are still validated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config

NEWER = {"from_a_newer_neko": True, "screen_dpi": 96}


async def test_room_settings_ignore_unknown_fields(client: ApiClient) -> None:
    admin = await client.login_admin()
    reply = await client.post("/api/room/settings", json={"locked_logins": True, **NEWER}, headers=admin.bearer)
    assert reply.status_code == 204, reply.text
    settings = (await client.get("/api/room/settings", headers=admin.bearer)).json()
    assert settings["locked_logins"] is True
    assert not NEWER.keys() & settings.keys()
    invalid = await client.post("/api/room/settings", json={"locked_logins": "yes", **NEWER}, headers=admin.bearer)
    assert invalid.status_code == 400
    assert "locked_logins" in invalid.json()["message"]


@pytest.mark.parametrize("who", ["admin", "user"])
async def test_own_profile_ignores_unknown_fields(client: ApiClient, who: str) -> None:
    caller = await (client.login_admin() if who == "admin" else client.login_user())
    reply = await client.post("/api/profile", json={"name": "Zed", **NEWER}, headers=caller.bearer)
    assert reply.status_code == 204, reply.text
    profile = (await client.get("/api/whoami", headers=caller.bearer)).json()["profile"]
    assert profile["name"] == "Zed"
    assert not NEWER.keys() & profile.keys()
    invalid = await client.post("/api/profile", json={"name": 5, **NEWER}, headers=caller.bearer)
    assert invalid.status_code == 400


@pytest.fixture
async def members() -> AsyncIterator[tuple[ApiClient, Login]]:
    async with api_client(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as client:
        yield client, await client.login("admin", ADMIN_PASSWORD)


async def test_member_operations_ignore_unknown_fields(members: tuple[ApiClient, Login]) -> None:
    client, admin = members
    bearer = admin.bearer
    created = await client.post(
        "/api/members",
        json={"username": "eve", "password": "pw", "profile": {"name": "Eve", **NEWER}, **NEWER},
        headers=bearer,
    )
    assert created.status_code == 200, created.text
    assert not NEWER.keys() & (created.json().keys() | created.json()["profile"].keys())
    calls = [
        ("/api/members/eve", {"can_host": False, **NEWER}),
        ("/api/members/eve/password", {"password": "new", **NEWER}),
        ("/api/members_bulk/update", {"ids": ["eve"], "profile": {"can_watch": False, **NEWER}, **NEWER}),
    ]
    for path, body in calls:
        reply = await client.post(path, json=body, headers=bearer)
        assert reply.status_code == 204, (path, reply.text)
    profile = (await client.get("/api/members/eve", headers=bearer)).json()
    assert (profile["can_host"], profile["can_watch"]) == (False, False)
    assert not NEWER.keys() & profile.keys()
    assert (await client.post("/api/login", json={"username": "eve", "password": "new"})).status_code == 200
    invalid = await client.post("/api/members/eve", json={"can_host": "no", **NEWER}, headers=bearer)
    assert invalid.status_code == 400
    deleted = await client.post("/api/members_bulk/delete", json={"ids": ["eve"], **NEWER}, headers=bearer)
    assert deleted.status_code == 204
    assert (await client.get("/api/members/eve", headers=bearer)).status_code == 404
