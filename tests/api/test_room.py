"""Tag ``room``: settings and control over HTTP, every declared status and permission rule."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config

SETTINGS = "/api/room/settings"
CONTROL = "/api/room/control"


async def assert_control_refused(client: ApiClient, user: Login, admin: Login, status: int, message: str) -> None:
    """Every control operation refuses ``user`` alike, and the admin cannot hand control to them."""
    for method, path in [
        ("GET", CONTROL),
        ("POST", f"{CONTROL}/request"),
        ("POST", f"{CONTROL}/release"),
        ("POST", f"{CONTROL}/give/{admin.id}"),
    ]:
        refused = await client.request(method, path, headers=user.bearer)
        assert refused.status_code == status, path
        assert refused.json()["message"] == message
    give = await client.post(f"{CONTROL}/give/{user.id}", headers=admin.bearer)
    assert give.status_code == 400
    assert give.json()["message"] == "target session is not allowed to host"


async def host_of(client: ApiClient, headers: dict[str, str]) -> str | None:
    response = await client.get(CONTROL, headers=headers)
    assert response.status_code == 200
    body = response.json()
    return body["host_id"] if body["has_host"] else None


# ---
# settings
# ---


async def test_settings_start_from_the_session_configuration() -> None:
    config = make_config(NEKO_SESSION_LOCKED_CONTROLS="true", NEKO_SESSION_HEARTBEAT_INTERVAL="7")
    async with api_client(config) as client:
        admin = await client.login_admin()
        response = await client.get(SETTINGS, headers=admin.bearer)
    assert response.status_code == 200
    assert response.json() == {
        "private_mode": False,
        "locked_logins": False,
        "locked_controls": True,
        "control_protection": False,
        "implicit_hosting": False,
        "inactive_cursors": False,
        "merciful_reconnect": True,
        "heartbeat_interval": 7,
        "plugins": {},
    }


async def test_control_protection_starts_with_controls_locked() -> None:
    async with api_client(make_config(NEKO_SESSION_CONTROL_PROTECTION="true")) as client:
        admin = await client.login_admin()
        body = (await client.get(SETTINGS, headers=admin.bearer)).json()
    assert body["control_protection"] is True
    assert body["locked_controls"] is True


async def test_settings_set_changes_only_the_given_fields(client: ApiClient) -> None:
    admin = await client.login_admin()
    before = (await client.get(SETTINGS, headers=admin.bearer)).json()
    change = {"inactive_cursors": True, "heartbeat_interval": 3, "plugins": {"chat": {"enabled": False}}}
    response = await client.post(SETTINGS, json=change, headers=admin.bearer)
    assert response.status_code == 204
    assert response.content == b""
    after = (await client.get(SETTINGS, headers=admin.bearer)).json()
    assert after == {**before, **change}


@pytest.mark.parametrize(
    "body",
    # Unknown fields are ignored now, as Neko does (tests/api/test_unknown_fields.py), but not next to a bad value.
    # heartbeat_interval is bounded by the spec (a day), so a huge one is schema-invalid, not a valid one refused.
    [
        {"no_such_setting": True, "locked_logins": "yes"},
        {"locked_logins": "yes"},
        {"heartbeat_interval": 0},
        {"heartbeat_interval": 86401},
        {"heartbeat_interval": 32589158477190046000},
        [True],
    ],
)
async def test_settings_set_rejects_bad_values(client: ApiClient, body: object) -> None:
    admin = await client.login_admin()
    response = await client.post(SETTINGS, json=body, headers=admin.bearer)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == 400
    unchanged = (await client.get(SETTINGS, headers=admin.bearer)).json()
    assert unchanged["locked_logins"] is False
    assert unchanged["heartbeat_interval"] == 10


async def test_settings_take_a_heartbeat_of_up_to_a_day(client: ApiClient) -> None:
    admin = await client.login_admin()
    assert (await client.post(SETTINGS, json={"heartbeat_interval": 86400}, headers=admin.bearer)).status_code == 204
    assert (await client.get(SETTINGS, headers=admin.bearer)).json()["heartbeat_interval"] == 86400


async def test_settings_set_needs_a_json_body(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.post(
        SETTINGS, content=b"locked_logins=1", headers={**admin.bearer, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("POST", {"locked_logins": True})])
async def test_settings_are_for_admins_only(client: ApiClient, method: str, body: object) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    refused = await client.request(method, SETTINGS, json=body, headers=user.bearer)
    assert refused.status_code == 403
    assert refused.json() == {"message": "only administrators may do this", "code": 403}
    anonymous = await client.request(method, SETTINGS, json=body)
    assert anonymous.status_code == 401
    assert (await client.get(SETTINGS, headers=admin.bearer)).json()["locked_logins"] is False


async def test_locked_logins_refuse_users_but_not_admins(client: ApiClient) -> None:
    admin = await client.login_admin()
    assert (await client.post(SETTINGS, json={"locked_logins": True}, headers=admin.bearer)).status_code == 204
    refused = await client.post("/api/login", json={"username": "bob", "password": "user-secret"})
    assert refused.status_code == 403
    assert refused.json()["message"] == "logins are locked for non-administrators"
    assert (await client.login_admin("root")).id.startswith("root")


async def test_locking_controls_releases_a_user_host_but_not_an_admin(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    assert (await client.post(f"{CONTROL}/request", headers=user.bearer)).status_code == 204
    await client.post(SETTINGS, json={"locked_controls": True}, headers=admin.bearer)
    assert await host_of(client, admin.bearer) is None
    await client.post(f"{CONTROL}/take", headers=admin.bearer)
    await client.post(SETTINGS, json={"locked_controls": False}, headers=admin.bearer)
    await client.post(SETTINGS, json={"locked_controls": True}, headers=admin.bearer)
    assert await host_of(client, admin.bearer) == admin.id


async def test_controls_locked_refuse_user_requests_only(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    await client.post(SETTINGS, json={"locked_controls": True}, headers=admin.bearer)
    refused = await client.post(f"{CONTROL}/request", headers=user.bearer)
    assert refused.status_code == 403
    assert refused.json() == {"message": "controls are locked", "code": 403}
    assert (await client.post(f"{CONTROL}/request", headers=admin.bearer)).status_code == 204
    assert await host_of(client, user.bearer) == admin.id


async def test_private_mode_answers_422_to_users_and_releases_their_control(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    await client.post(f"{CONTROL}/request", headers=user.bearer)
    await client.post(SETTINGS, json={"private_mode": True}, headers=admin.bearer)
    assert await host_of(client, admin.bearer) is None
    await assert_control_refused(client, user, admin, 422, "private mode is enabled")
    assert (await client.post(f"{CONTROL}/request", headers=admin.bearer)).status_code == 204


# ---
# control
# ---


async def test_request_and_release_hand_control_back_and_forth(client: ApiClient) -> None:
    alice = await client.login_user("alice")
    bob = await client.login_user("bob")
    assert (await client.get(CONTROL, headers=alice.bearer)).json() == {"has_host": False}
    assert (await client.post(f"{CONTROL}/request", headers=alice.bearer)).status_code == 204
    assert (await client.get(CONTROL, headers=bob.bearer)).json() == {"has_host": True, "host_id": alice.id}
    again = await client.post(f"{CONTROL}/request", headers=alice.bearer)
    assert again.status_code == 204
    asked = await client.post(f"{CONTROL}/request", headers=bob.bearer)
    assert asked.status_code == 202  # as Neko: the request is passed on to alice, who still hosts
    assert asked.json() == {"code": 202, "message": "control request sent"}
    assert await host_of(client, bob.bearer) == alice.id
    not_host = await client.post(f"{CONTROL}/release", headers=bob.bearer)
    assert not_host.status_code == 409
    assert not_host.json()["message"] == "session is not the host"
    assert (await client.post(f"{CONTROL}/release", headers=alice.bearer)).status_code == 204
    assert await host_of(client, bob.bearer) is None
    assert (await client.post(f"{CONTROL}/request", headers=bob.bearer)).status_code == 204
    assert await host_of(client, alice.bearer) == bob.id


async def test_take_and_reset_are_for_admins(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    await client.post(f"{CONTROL}/request", headers=user.bearer)
    for path in ("take", "reset"):
        refused = await client.post(f"{CONTROL}/{path}", headers=user.bearer)
        assert refused.status_code == 403
        assert refused.json()["message"] == "only administrators may do this"
    assert await host_of(client, admin.bearer) == user.id
    assert (await client.post(f"{CONTROL}/take", headers=admin.bearer)).status_code == 204
    assert await host_of(client, admin.bearer) == admin.id
    assert (await client.post(f"{CONTROL}/reset", headers=admin.bearer)).status_code == 204
    assert await host_of(client, admin.bearer) is None
    assert (await client.post(f"{CONTROL}/reset", headers=admin.bearer)).status_code == 204


async def test_give_is_for_the_host_or_an_admin(client: ApiClient) -> None:
    admin = await client.login_admin()
    alice = await client.login_user("alice")
    bob = await client.login_user("bob")
    refused = await client.post(f"{CONTROL}/give/{bob.id}", headers=alice.bearer)
    assert refused.status_code == 403
    assert refused.json()["message"] == "only the host or an administrator may give control"
    await client.post(f"{CONTROL}/request", headers=alice.bearer)
    assert (await client.post(f"{CONTROL}/give/{bob.id}", headers=alice.bearer)).status_code == 204
    assert await host_of(client, admin.bearer) == bob.id
    assert (await client.post(f"{CONTROL}/give/{alice.id}", headers=admin.bearer)).status_code == 204
    assert await host_of(client, admin.bearer) == alice.id


async def test_give_to_an_unknown_session_is_404(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.post(f"{CONTROL}/give/nobody", headers=admin.bearer)
    assert response.status_code == 404
    assert response.json() == {"message": "target session was not found", "code": 404}


async def test_a_profile_without_can_host_is_refused_everywhere() -> None:
    config = make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_host": false}')
    async with api_client(config) as client:
        admin = await client.login_admin()
        user = await client.login_user()
        await assert_control_refused(client, user, admin, 403, "session cannot host")
        assert await host_of(client, admin.bearer) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", CONTROL),
        ("POST", f"{CONTROL}/request"),
        ("POST", f"{CONTROL}/release"),
        ("POST", f"{CONTROL}/take"),
        ("POST", f"{CONTROL}/give/someone"),
        ("POST", f"{CONTROL}/reset"),
        ("GET", "/api/stats"),
    ],
)
async def test_room_operations_need_credentials(client: ApiClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.json()["code"] == 401
    bad = await client.request(method, path, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


async def test_a_profile_change_removing_can_host_releases_control(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    await client.post(f"{CONTROL}/request", headers=user.bearer)
    await client.app.services.sessions.update_profile(
        user.id, client.app.services.sessions.get(user.id).profile.merged({"can_host": False})
    )
    assert await host_of(client, admin.bearer) is None


async def test_an_admin_without_can_host_cannot_take_or_reset() -> None:
    config = make_config(NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE='{"can_host": false}')
    async with api_client(config) as client:
        admin = await client.login_admin()
        for path in ("take", "reset", "request"):
            refused = await client.post(f"{CONTROL}/{path}", headers=admin.bearer)
            assert refused.status_code == 403, path
            assert refused.json()["message"] == "session cannot host"
        assert (await client.get(SETTINGS, headers=admin.bearer)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", SETTINGS),
        ("POST", SETTINGS),
        ("GET", CONTROL),
        ("POST", f"{CONTROL}/request"),
        ("POST", f"{CONTROL}/release"),
        ("POST", f"{CONTROL}/take"),
        ("POST", f"{CONTROL}/give/someone"),
        ("POST", f"{CONTROL}/reset"),
        ("GET", "/api/stats"),
    ],
)
async def test_a_session_that_lost_can_login_gets_403(client: ApiClient, method: str, path: str) -> None:
    admin = await client.login_admin()
    sessions = client.app.services.sessions
    await sessions.update_profile(admin.id, sessions.get(admin.id).profile.merged({"can_login": False}))
    body = {"locked_logins": True} if method == "POST" and path == SETTINGS else None
    response = await client.request(method, path, json=body, headers=admin.bearer)
    assert response.status_code == 403
    assert response.json() == {"message": "login is disabled for this session", "code": 403}


# ---
# stats
# ---


async def test_stats_report_the_host_and_the_start_time(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    first = await client.get("/api/stats", headers=user.bearer)
    assert first.status_code == 200
    body = first.json()
    assert body["has_host"] is False
    assert "host_id" not in body
    assert body["total_users"] == 0
    assert body["total_admins"] == 0
    assert "last_user_left_at" not in body
    assert body["server_started_at"].endswith("Z")
    await client.post(f"{CONTROL}/request", headers=user.bearer)
    later = (await client.get("/api/stats", headers=admin.bearer)).json()
    assert later["has_host"] is True
    assert later["host_id"] == user.id
    assert later["server_started_at"] == body["server_started_at"]
