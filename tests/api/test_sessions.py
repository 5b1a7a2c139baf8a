"""Tag ``sessions``: listing, reading, removing and force-disconnecting sessions."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient

UNKNOWN = "no-such-session"


async def test_list_shows_every_session_to_any_logged_in_session(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    response = await client.get("/api/sessions", headers=user.bearer)
    assert response.status_code == 200
    assert {s["id"] for s in response.json()} == {admin.id, user.id}


async def test_list_shows_a_profile_change_made_after_an_earlier_list(client: ApiClient) -> None:
    user = await client.login_user("dave")
    before = await client.get("/api/sessions", headers=user.bearer)  # encodes and keeps the session's data
    assert [s["profile"]["name"] for s in before.json()] == ["dave"]
    assert (await client.post("/api/profile", json={"name": "Dave"}, headers=user.bearer)).status_code == 204
    after = await client.get("/api/sessions", headers=user.bearer)
    assert [s["profile"]["name"] for s in after.json()] == ["Dave"]


async def test_get_returns_the_session(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user("carol")
    response = await client.get(f"/api/sessions/{user.id}", headers=admin.bearer)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.id
    assert body["profile"]["name"] == "carol"
    assert body["state"] == {"is_connected": False, "is_watching": False}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/sessions/{id}"),
        ("DELETE", "/api/sessions/{id}"),
        ("POST", "/api/sessions/{id}/disconnect"),
    ],
)
async def test_admin_operations_answer_404_for_unknown_and_403_for_users(
    client: ApiClient, method: str, path: str
) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    missing = await client.request(method, path.format(id=UNKNOWN), headers=admin.bearer)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == {"message": "session not found", "code": 404}
    refused = await client.request(method, path.format(id=admin.id), headers=user.bearer)
    assert refused.status_code == 403
    assert refused.json()["message"] == "only administrators may do this"


async def test_disconnect_of_an_idle_session_is_204_and_keeps_it(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    response = await client.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers
    still = await client.get("/api/whoami", headers=user.bearer)
    assert still.status_code == 200


async def test_remove_forgets_the_session_and_its_token(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    response = await client.delete(f"/api/sessions/{user.id}", headers=admin.bearer)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/whoami", headers=user.bearer)).status_code == 401
    gone = await client.get(f"/api/sessions/{user.id}", headers=admin.bearer)
    assert gone.status_code == 404


async def test_removing_your_own_session_is_refused(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.delete(f"/api/sessions/{admin.id}", headers=admin.bearer)
    assert response.status_code == 400
    assert response.json()["message"] == "cannot delete own session"
    assert (await client.get("/api/whoami", headers=admin.bearer)).status_code == 200
