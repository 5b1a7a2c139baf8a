"""How a request is spelled: media types in any case, paths with a trailing slash."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient
from tests.support.factory import ADMIN_PASSWORD

MEDIA_TYPES = ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/JSON"]


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
async def test_media_types_compare_case_insensitively(client: ApiClient, media_type: str) -> None:
    body = b'{"username": "admin", "password": "%s"}' % ADMIN_PASSWORD.encode()
    response = await client.post("/api/login", content=body, headers={"content-type": media_type})
    assert response.status_code == 200, response.text
    assert response.json()["profile"]["is_admin"] is True


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
async def test_an_upper_case_media_type_is_still_validated(client: ApiClient, media_type: str) -> None:
    admin = await client.login_admin()
    headers = {**admin.bearer, "content-type": media_type}
    invalid = await client.post("/api/room/settings", content=b'{"heartbeat_interval": "often"}', headers=headers)
    assert invalid.status_code == 400, invalid.text
    assert "heartbeat_interval" in invalid.json()["message"]
    valid = await client.post("/api/room/settings", content=b'{"heartbeat_interval": 7}', headers=headers)
    assert valid.status_code == 204, valid.text
    assert (await client.get("/api/room/settings", headers=admin.bearer)).json()["heartbeat_interval"] == 7


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/sessions/"), ("POST", "/api/room/control/request/")])
async def test_a_trailing_slash_is_a_404_not_a_redirect(client: ApiClient, method: str, path: str) -> None:
    admin = await client.login_admin()
    response = await client.request(method, path, headers={**admin.bearer, "host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 404 and response.json()["message"]
