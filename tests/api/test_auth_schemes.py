"""The three credential schemes, each accepted on its own, and the 401/403 answers."""

from __future__ import annotations

from typing import Any

import pytest

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
