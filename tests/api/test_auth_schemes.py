"""The three credential schemes, each accepted on its own, and the 401/403 answers."""

from __future__ import annotations

from typing import Any

import pytest

from nekoapi.web.spec import OperationInfo, _raw_spec, operations
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config

SCHEMES = ["bearer", "cookie", "query"]
API_TOKEN = "k" * 48


def credentials(scheme: str, token: str, cookie_name: str = "NEKO_SESSION") -> dict[str, Any]:
    if scheme == "bearer":
        return {"headers": {"Authorization": f"Bearer {token}"}}
    if scheme == "cookie":
        return {"headers": {"Cookie": f"{cookie_name}={token}"}}
    return {"params": {"token": token}}


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_each_scheme_authenticates_on_its_own(client: ApiClient, scheme: str) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    whoami = await client.get("/api/whoami", **credentials(scheme, admin.token))
    assert whoami.json()["id"] == admin.id
    seed = await client.post(f"/api/sessions/{user.id}/disconnect", **credentials(scheme, admin.token))
    assert seed.status_code == 204


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_an_unknown_token_on_any_scheme_is_401(client: ApiClient, scheme: str) -> None:
    user = await client.login_user()
    response = await client.post(f"/api/sessions/{user.id}/disconnect", **credentials(scheme, "f" * 64))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"message": "invalid or missing credentials", "code": 401}


async def test_no_credentials_is_401(client: ApiClient) -> None:
    user = await client.login_user()
    response = await client.post(f"/api/sessions/{user.id}/disconnect")
    assert response.status_code == 401
    assert response.json()["message"] == "No authorization token provided"


async def test_a_malformed_authorization_header_is_401(client: ApiClient) -> None:
    response = await client.get("/api/whoami", headers={"Authorization": "Bearer"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"


async def test_cookie_scheme_follows_the_configured_cookie_name() -> None:
    async with api_client(make_config(NEKO_SESSION_COOKIE_NAME="ROOM42")) as client:
        admin = await client.login_admin()
        ok = await client.get("/api/whoami", **credentials("cookie", admin.token, "ROOM42"))
        assert ok.status_code == 200
        old_name = await client.get("/api/whoami", **credentials("cookie", admin.token))
        assert old_name.status_code == 401


async def disabled_admin(client: ApiClient) -> Login:
    admin = await client.login_admin()
    response = await client.post("/api/profile", json={"can_login": False}, headers=admin.bearer)
    assert response.status_code == 204
    return admin


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_a_session_whose_login_was_disabled_gets_403(client: ApiClient, scheme: str) -> None:
    admin = await disabled_admin(client)
    other = await client.login_user()
    response = await client.post(f"/api/sessions/{other.id}/disconnect", **credentials(scheme, admin.token))
    assert response.status_code == 403
    assert response.json() == {"message": "login is disabled for this session", "code": 403}


async def test_the_api_token_acts_as_an_unlisted_admin() -> None:
    async with api_client(make_config(NEKO_SESSION_API_TOKEN=API_TOKEN)) as client:
        user = await client.login_user()
        api = credentials("bearer", API_TOKEN)
        assert (await client.post(f"/api/sessions/{user.id}/disconnect", **api)).status_code == 204
        assert (await client.get("/api/whoami", **api)).json()["id"] == "API"
        listed = (await client.get("/api/sessions", **api)).json()
        assert [s["id"] for s in listed] == [user.id]


async def test_the_api_token_is_off_by_default(client: ApiClient) -> None:
    response = await client.get("/api/whoami", **credentials("bearer", ""))
    assert response.status_code == 401


def secured_operations() -> list[OperationInfo]:
    # Neko v2's paths take a password instead of a session (tests/legacy).
    return [info for info in operations(_raw_spec()).values() if info.access != "public" and info.tag != "legacy"]


def concrete_path(info: OperationInfo, session_id: str) -> str:
    return info.path.replace("{sessionId}", session_id)


@pytest.mark.parametrize("info", secured_operations(), ids=lambda info: info.operation_id)
async def test_every_secured_operation_refuses_missing_bad_and_disabled_credentials(
    client: ApiClient, info: OperationInfo
) -> None:
    target = await client.login_user("target")
    path = concrete_path(info, target.id)
    body = {} if "requestBody" in info.operation else None
    assert (await client.request(info.method, path, json=body)).status_code == 401
    for scheme in SCHEMES:
        bad = await client.request(info.method, path, json=body, **credentials(scheme, "0" * 64))
        assert bad.status_code == 401, scheme
    admin = await disabled_admin(client)
    disabled = await client.request(info.method, path, json=body, headers=admin.bearer)
    assert disabled.status_code == 403
    assert disabled.json()["message"] == "login is disabled for this session"


@pytest.mark.parametrize(
    "info", [i for i in secured_operations() if i.access == "admin"], ids=lambda info: info.operation_id
)
async def test_admin_operations_refuse_users_with_403(client: ApiClient, info: OperationInfo) -> None:
    user = await client.login_user()
    body = {} if "requestBody" in info.operation else None
    response = await client.request(info.method, concrete_path(info, user.id), json=body, headers=user.bearer)
    assert response.status_code == 403
    assert response.json()["message"] == "only administrators may do this"
