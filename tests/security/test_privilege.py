"""Nobody reaches an administrator's operation without being one, and refusals change nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from nekoapi.web.spec import OperationInfo, _raw_spec, operations
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import USER_PASSWORD, make_config

ADMIN_OPERATIONS = [info for info in operations(_raw_spec()).values() if info.access == "admin"]


async def snapshot(client: ApiClient, admin: Login) -> list[Any]:
    sessions = (await client.get("/api/sessions", headers=admin.bearer)).json()
    return sorted((s["id"], s["profile"], s["state"]["is_connected"]) for s in sessions)


async def call(client: ApiClient, info: OperationInfo, target: str, headers: dict[str, str]) -> int:
    body = {} if "requestBody" in info.operation else None
    path = info.path.replace("{sessionId}", target).replace("{memberId}", target)
    return (await client.request(info.method, path, json=body, headers=headers)).status_code


async def revoked_mid_session(client: ApiClient) -> dict[str, str]:
    user = await client.login_user("revoked")
    sessions = client.app.services.sessions
    session = sessions.get(user.id)
    await sessions.update_profile(user.id, dataclasses.replace(session.profile, can_login=False))
    return user.bearer


async def removed_session(client: ApiClient, admin: Login) -> dict[str, str]:
    user = await client.login_user("removed")
    assert (await client.delete(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 204
    return user.bearer


async def logged_out(client: ApiClient) -> dict[str, str]:
    user = await client.login_user("gone")
    assert (await client.post("/api/logout", headers=user.bearer)).status_code == 200
    return user.bearer


@pytest.mark.parametrize("info", ADMIN_OPERATIONS, ids=lambda info: info.operation_id)
async def test_admin_operations_refuse_every_kind_of_non_admin(client: ApiClient, info: OperationInfo) -> None:
    admin = await client.login_admin()
    target = await client.login_user("target")
    callers = {
        "user": ((await client.login_user("plain")).bearer, 403),
        "can_login revoked mid-session": (await revoked_mid_session(client), 403),
        "removed session's old token": (await removed_session(client, admin), 401),
        "logged-out token": (await logged_out(client), 401),
    }
    before = await snapshot(client, admin)
    for who, (headers, expected) in callers.items():
        assert await call(client, info, target.id, headers) == expected, who
    assert await snapshot(client, admin) == before


async def test_a_deleted_members_old_token_opens_nothing() -> None:
    async with api_client(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as client:
        admin = await client.login_admin()
        created = await client.post(
            "/api/members",
            json={"username": "mallory", "password": USER_PASSWORD, "profile": {"is_admin": True}},
            headers=admin.bearer,
        )
        assert created.status_code == 200
        mallory = await client.login("mallory", USER_PASSWORD)
        assert (await client.delete("/api/members/mallory", headers=admin.bearer)).status_code == 204
        members_before = (await client.get("/api/members", headers=admin.bearer)).json()
        sessions_before = await snapshot(client, admin)
        for info in [*ADMIN_OPERATIONS, operations(_raw_spec())["whoami"]]:
            assert await call(client, info, admin.id, mallory.bearer) == 401, info.operation_id
        assert (await client.get("/api/members", headers=admin.bearer)).json() == members_before
        assert await snapshot(client, admin) == sessions_before
