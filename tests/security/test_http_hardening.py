"""Headers every response carries, request size limits, and the session cookie on failure."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from nekoapi.config import ConfigError, load_config
from tests.support.client import ApiClient, api_client
from tests.support.factory import make_config


async def test_every_answer_says_nosniff_and_no_store(client: ApiClient) -> None:
    admin = await client.login_admin()
    answers = [
        await client.get("/health"),
        await client.get("/api/whoami", headers=admin.bearer),
        await client.post("/api/sessions/nobody/disconnect", headers=admin.bearer),
        await client.get("/api/whoami"),
        await client.get("/no/such/route"),
        await client.post("/api/login", json={"username": "a", "password": "nope"}),
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["cache-control"] == "no-store", response.url


async def test_a_long_url_is_414_json(client: ApiClient) -> None:
    response = await client.get("/api/sessions/" + "x" * 9000)
    assert response.status_code == 414
    assert response.json() == {"message": "request URL too long", "code": 414}


async def test_oversized_headers_are_431_json(client: ApiClient) -> None:
    response = await client.get("/health", headers={"X-Padding": "x" * 20_000})
    assert response.status_code == 431
    assert response.json() == {"message": "request headers too large", "code": 431}


async def test_a_rejected_session_cookie_is_cleared() -> None:
    async with api_client(make_config(NEKO_SESSION_COOKIE_ENABLED="true")) as client:
        response = await client.get("/api/whoami", headers={"Cookie": "NEKO_SESSION=" + "0" * 64})
        assert response.status_code == 401
        cleared = SimpleCookie(response.headers["set-cookie"])["NEKO_SESSION"]
        assert cleared.value == "" and cleared["max-age"] == "0"


async def test_no_cookie_is_set_on_401_without_one(client: ApiClient) -> None:
    response = await client.get("/api/whoami", headers={"Authorization": "Bearer " + "0" * 64})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_a_short_api_token_stops_start_up() -> None:
    with pytest.raises(ConfigError):
        load_config({"NEKO_SESSION_API_TOKEN": "short"})
