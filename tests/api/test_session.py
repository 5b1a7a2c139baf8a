"""Tag ``session``: login, logout, whoami and profile, with and without cookies."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config


async def test_login_returns_the_session_and_a_token(client: ApiClient) -> None:
    response = await client.post("/api/login", json={"username": "bob", "password": USER_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("bob-") and len(body["id"]) == len("bob-") + 5
    assert body["profile"]["name"] == "bob"
    assert body["profile"]["is_admin"] is False
    assert body["state"]["is_connected"] is False
    assert len(body["token"]) == 64
    assert "set-cookie" not in response.headers


async def test_admin_password_gives_an_admin_profile(client: ApiClient) -> None:
    response = await client.post("/api/login", json={"username": "root", "password": ADMIN_PASSWORD})
    assert response.json()["profile"]["is_admin"] is True


@pytest.mark.parametrize(
    "credentials",
    [{"username": "bob", "password": "wrong"}, {"username": "", "password": USER_PASSWORD}],
)
async def test_bad_credentials_are_401(client: ApiClient, credentials: dict[str, str]) -> None:
    response = await client.post("/api/login", json=credentials)
    assert response.status_code == 401
    assert response.json() == {"message": "wrong username or password", "code": 401}


@pytest.mark.parametrize(
    "body",
    [{"username": "bob"}, {"password": "x"}, {"username": 1, "password": "x"}, [], "text"],
)
async def test_malformed_login_bodies_are_400(client: ApiClient, body: object) -> None:
    response = await client.post("/api/login", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["message"]


async def test_login_is_403_while_logins_are_locked_for_users() -> None:
    async with api_client(make_config(NEKO_SESSION_LOCKED_LOGINS="true")) as client:
        refused = await client.post("/api/login", json={"username": "bob", "password": USER_PASSWORD})
        assert refused.status_code == 403
        assert refused.json()["message"] == "logins are locked for non-administrators"
        admitted = await client.post("/api/login", json={"username": "root", "password": ADMIN_PASSWORD})
        assert admitted.status_code == 200


async def test_login_is_403_for_a_member_that_may_not_log_in() -> None:
    config = make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_login": false}')
    async with api_client(config) as client:
        response = await client.post("/api/login", json={"username": "bob", "password": USER_PASSWORD})
        assert response.status_code == 403
        assert response.json()["message"] == "login is disabled for this session"


async def test_whoami_describes_the_caller(client: ApiClient) -> None:
    user = await client.login_user("dora")
    response = await client.get("/api/whoami", headers=user.bearer)
    assert response.status_code == 200
    assert response.json() == {key: user.body[key] for key in ("id", "profile", "state")}


async def test_logout_ends_the_session(client: ApiClient) -> None:
    user = await client.login_user()
    response = await client.post("/api/logout", headers=user.bearer)
    assert response.status_code == 200
    assert response.json() is True
    assert (await client.get("/api/whoami", headers=user.bearer)).status_code == 401


async def test_the_api_session_cannot_log_out() -> None:
    token = "t" * 48
    async with api_client(make_config(NEKO_SESSION_API_TOKEN=token)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        response = await client.post("/api/logout", headers=bearer)
        assert response.status_code == 403
        assert response.json() == {"message": "the API session cannot log out", "code": 403}
        assert (await client.get("/api/sessions", headers=bearer)).status_code == 200


async def test_users_may_rename_themselves_but_change_nothing_else(client: ApiClient) -> None:
    user = await client.login_user()
    renamed = await client.post("/api/profile", json={"name": "Zed"}, headers=user.bearer)
    assert renamed.status_code == 204 and renamed.content == b""
    refused = await client.post("/api/profile", json={"is_admin": True}, headers=user.bearer)
    assert refused.status_code == 403
    me = (await client.get("/api/whoami", headers=user.bearer)).json()
    assert me["profile"]["name"] == "Zed"
    assert me["profile"]["is_admin"] is False


async def test_admins_may_change_their_whole_session_profile(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.post("/api/profile", json={"can_host": False, "plugins": {"x": 1}}, headers=admin.bearer)
    assert response.status_code == 204
    profile = (await client.get("/api/whoami", headers=admin.bearer)).json()["profile"]
    assert profile["can_host"] is False and profile["plugins"] == {"x": 1}


async def test_profile_rejects_wrong_types_even_beside_unknown_fields(client: ApiClient) -> None:
    admin = await client.login_admin()
    for body in ({"is_root": True, "is_admin": "yes"}, {"is_admin": "yes"}):  # unknown fields alone: ignored
        response = await client.post("/api/profile", json=body, headers=admin.bearer)
        assert response.status_code == 400, body


async def test_with_cookies_enabled_login_sets_the_cookie_and_omits_the_token() -> None:
    config = make_config(NEKO_SESSION_COOKIE_ENABLED="true", NEKO_SESSION_COOKIE_NAME="NEKO_TEST")
    async with api_client(config) as client:
        response = await client.post("/api/login", json={"username": "bob", "password": USER_PASSWORD})
        assert response.status_code == 200
        assert "token" not in response.json()
        cookie = SimpleCookie(response.headers["set-cookie"])["NEKO_TEST"]
        assert len(cookie.value) == 64
        assert cookie["httponly"] and cookie["secure"]
        assert cookie["max-age"] == str(24 * 3600)
        client.cookies.clear()
        cookie_header = {"Cookie": f"NEKO_TEST={cookie.value}"}
        me = await client.get("/api/whoami", headers=cookie_header)
        assert me.status_code == 200
        logout = await client.post("/api/logout", headers=cookie_header)
        expired = SimpleCookie(logout.headers["set-cookie"])["NEKO_TEST"]
        assert expired.value == "" and expired["max-age"] == "0"
