"""Tag ``members``: every operation and each status it declares, on sqlite, postgres and Neko's file format."""

from __future__ import annotations

from typing import Any

import pytest

from ..support.client import ApiClient, Login

USER_PASSWORD = "carol-password"

# (method, path, a valid JSON body or None) for every member operation, aimed at member "carol".
OPERATIONS: dict[str, tuple[str, str, Any]] = {
    "membersList": ("GET", "/api/members", None),
    "membersCreate": ("POST", "/api/members", {"username": "dave", "password": "pw"}),
    "membersGetProfile": ("GET", "/api/members/carol", None),
    "membersUpdateProfile": ("POST", "/api/members/carol", {"name": "Carol"}),
    "membersRemove": ("DELETE", "/api/members/carol", None),
    "membersUpdatePassword": ("POST", "/api/members/carol/password", {"password": "new"}),
    "membersBulkUpdate": ("POST", "/api/members_bulk/update", {"ids": ["carol"], "profile": {"can_host": False}}),
    "membersBulkDelete": ("POST", "/api/members_bulk/delete", {"ids": ["carol"]}),
}
WITH_BODY = [name for name, (_, _, body) in OPERATIONS.items() if body is not None]
BY_ID = ["membersGetProfile", "membersUpdateProfile", "membersRemove", "membersUpdatePassword"]


async def create(client: ApiClient, admin: Login, username: str = "carol", **profile: Any) -> dict[str, Any]:
    body = {"username": username, "password": USER_PASSWORD, "profile": profile}
    response = await client.post("/api/members", json=body, headers=admin.bearer)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def profile_of(client: ApiClient, admin: Login, member_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/members/{member_id}", headers=admin.bearer)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def assert_error(response: Any, status: int, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == status
    if message is not None:
        assert body["message"] == message


# --- success paths ---------------------------------------------------------


async def test_create_returns_the_member_and_it_can_log_in(members: ApiClient, admin: Login) -> None:
    created = await create(members, admin, can_host=False)
    assert created["id"] == "carol"
    assert created["profile"]["name"] == "carol"  # defaults to the username
    assert created["profile"]["can_host"] is False
    assert created["profile"]["is_admin"] is False
    assert "password" not in created
    carol = await members.login("carol", USER_PASSWORD)
    assert carol.id == "carol"
    assert carol.body["profile"] == created["profile"]


async def test_list_pages_through_members_in_id_order(members: ApiClient, admin: Login) -> None:
    for name in ("erin", "bob", "dave"):
        await create(members, admin, name)
    everyone = await members.get("/api/members", headers=admin.bearer)
    assert everyone.status_code == 200
    assert [m["id"] for m in everyone.json()] == ["admin", "bob", "dave", "erin"]
    assert "password" not in everyone.text and "$argon2" not in everyone.text
    page = await members.get("/api/members", params={"limit": 2, "offset": 1}, headers=admin.bearer)
    assert [m["id"] for m in page.json()] == ["bob", "dave"]
    past_the_end = await members.get("/api/members", params={"offset": 10}, headers=admin.bearer)
    assert past_the_end.json() == []


async def test_get_profile_returns_the_stored_profile(members: ApiClient, admin: Login) -> None:
    await create(members, admin, can_watch=False, plugins={"x": 1})
    profile = await profile_of(members, admin, "carol")
    assert profile["can_watch"] is False
    assert profile["plugins"] == {"x": 1}


async def test_update_profile_merges_the_given_fields(members: ApiClient, admin: Login) -> None:
    await create(members, admin, can_watch=False)
    response = await members.post("/api/members/carol", json={"name": "Carol", "is_admin": True}, headers=admin.bearer)
    assert response.status_code == 204
    assert response.content == b""
    profile = await profile_of(members, admin, "carol")
    assert (profile["name"], profile["is_admin"], profile["can_watch"]) == ("Carol", True, False)


async def test_update_password_replaces_the_old_one(members: ApiClient, admin: Login) -> None:
    await create(members, admin)
    response = await members.post("/api/members/carol/password", json={"password": "n3w"}, headers=admin.bearer)
    assert response.status_code == 204
    old = await members.post("/api/login", json={"username": "carol", "password": USER_PASSWORD})
    assert old.status_code == 401
    assert (await members.login("carol", "n3w")).id == "carol"


async def test_remove_deletes_the_member(members: ApiClient, admin: Login) -> None:
    await create(members, admin)
    response = await members.delete("/api/members/carol", headers=admin.bearer)
    assert response.status_code == 204
    assert_error(await members.get("/api/members/carol", headers=admin.bearer), 404)
    gone = await members.post("/api/login", json={"username": "carol", "password": USER_PASSWORD})
    assert gone.status_code == 401


async def test_bulk_update_changes_every_listed_member(members: ApiClient, admin: Login) -> None:
    for name in ("bob", "carol", "dave"):
        await create(members, admin, name)
    body = {"ids": ["bob", "carol"], "profile": {"can_host": False}}
    response = await members.post("/api/members_bulk/update", json=body, headers=admin.bearer)
    assert response.status_code == 204
    assert [(await profile_of(members, admin, n))["can_host"] for n in ("bob", "carol", "dave")] == [False, False, True]


async def test_bulk_delete_removes_every_listed_member(members: ApiClient, admin: Login) -> None:
    for name in ("bob", "carol", "dave"):
        await create(members, admin, name)
    response = await members.post("/api/members_bulk/delete", json={"ids": ["bob", "dave"]}, headers=admin.bearer)
    assert response.status_code == 204
    listed = await members.get("/api/members", headers=admin.bearer)
    assert [m["id"] for m in listed.json()] == ["admin", "carol"]


# --- refusals --------------------------------------------------------------


async def test_duplicate_username_is_409(members: ApiClient, admin: Login) -> None:
    await create(members, admin)
    again = await members.post("/api/members", json={"username": "carol", "password": "x"}, headers=admin.bearer)
    assert_error(again, 409, "member 'carol' already exists")
    assert (await members.login("carol", USER_PASSWORD)).id == "carol"  # the first one is untouched


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A password is secret: its message names the rule, never the value.
        ({"username": "dave", "password": ""}, "a secret value is not valid (minLength: 1) - 'password'"),
        ({"username": "", "password": "pw"}, "should be non-empty - 'username'"),
    ],
)
async def test_create_with_an_empty_username_or_password_is_400(
    members: ApiClient, admin: Login, body: dict[str, str], message: str
) -> None:
    # The spec says minLength 1, so validation refuses it (Neko's server: 400 too).
    response = await members.post("/api/members", json=body, headers=admin.bearer)
    assert response.status_code == 400
    assert message in response.json()["message"]
    listed = await members.get("/api/members", headers=admin.bearer)
    assert [m["id"] for m in listed.json()] == ["admin"]


async def test_empty_new_password_is_400_and_keeps_the_old_one(members: ApiClient, admin: Login) -> None:
    await create(members, admin)
    response = await members.post("/api/members/carol/password", json={"password": ""}, headers=admin.bearer)
    assert response.status_code == 400
    assert "(minLength: 1) - 'password'" in response.json()["message"]
    assert (await members.login("carol", USER_PASSWORD)).id == "carol"


@pytest.mark.parametrize("operation", BY_ID)
async def test_unknown_member_is_404(members: ApiClient, admin: Login, operation: str) -> None:
    method, path, body = OPERATIONS[operation]
    response = await members.request(method, path.replace("carol", "nobody"), json=body, headers=admin.bearer)
    assert_error(response, 404, "member not found: nobody")


@pytest.mark.parametrize("operation", ["membersBulkUpdate", "membersBulkDelete"])
async def test_bulk_with_an_unknown_id_is_404_and_changes_nothing(
    members: ApiClient, admin: Login, operation: str
) -> None:
    await create(members, admin)
    method, path, body = OPERATIONS[operation]
    body = {**body, "ids": ["carol", "nobody"]}
    assert_error(await members.request(method, path, json=body, headers=admin.bearer), 404, "member not found: nobody")
    assert (await profile_of(members, admin, "carol"))["can_host"] is True


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_without_credentials_every_operation_is_401(members: ApiClient, operation: str) -> None:
    method, path, body = OPERATIONS[operation]
    assert_error(await members.request(method, path, json=body), 401)


@pytest.mark.parametrize("operation", [name for name in OPERATIONS if name != "membersList"])
async def test_non_administrators_get_403_and_change_nothing(members: ApiClient, admin: Login, operation: str) -> None:
    await create(members, admin)
    carol = await members.login("carol", USER_PASSWORD)
    method, path, body = OPERATIONS[operation]
    response = await members.request(method, path, json=body, headers=carol.bearer)
    assert_error(response, 403, "only administrators may do this")
    assert await profile_of(members, admin, "carol") == carol.body["profile"]
    assert (await members.get("/api/members/dave", headers=admin.bearer)).status_code == 404


async def test_any_logged_in_session_may_list_members(members: ApiClient, admin: Login) -> None:
    # As Neko's server: its members router serves the list outside the administrators-only group.
    await create(members, admin)
    carol = await members.login("carol", USER_PASSWORD)
    listed = await members.get("/api/members", headers=carol.bearer)
    assert listed.status_code == 200, listed.text
    assert [m["id"] for m in listed.json()] == ["admin", "carol"]
    assert all(set(m) == {"id", "profile"} for m in listed.json())  # no password material


@pytest.mark.parametrize("operation", WITH_BODY)
async def test_a_body_that_breaks_the_schema_is_400(members: ApiClient, admin: Login, operation: str) -> None:
    await create(members, admin)
    method, path, _ = OPERATIONS[operation]
    bad = {"ids": "carol", "password": 5, "username": 7, "profile": {"is_admin": "yes"}, "is_admin": "yes"}
    assert_error(await members.request(method, path, json=bad, headers=admin.bearer), 400)
    assert (await profile_of(members, admin, "carol"))["is_admin"] is False


@pytest.mark.parametrize("operation", WITH_BODY)
async def test_a_body_that_is_not_json_is_415(members: ApiClient, admin: Login, operation: str) -> None:
    method, path, _ = OPERATIONS[operation]
    headers = {**admin.bearer, "Content-Type": "text/plain"}
    assert_error(await members.request(method, path, content=b"carol", headers=headers), 415)


@pytest.mark.parametrize("params", [{"limit": -1}, {"offset": "two"}])
async def test_list_rejects_bad_paging_with_400(members: ApiClient, admin: Login, params: dict[str, Any]) -> None:
    assert_error(await members.get("/api/members", params=params, headers=admin.bearer), 400)


async def test_passwords_and_hashes_appear_in_no_response_and_no_log_line(
    members: ApiClient, admin: Login, caplog: pytest.LogCaptureFixture
) -> None:
    secret, newer = "Sup3r-Secret-Pw", "An0ther-Secret-Pw"
    caplog.set_level("DEBUG")
    replies = [
        await members.post("/api/members", json={"username": "carol", "password": secret}, headers=admin.bearer),
        await members.post("/api/members", json={"username": "carol", "password": secret}, headers=admin.bearer),
        await members.post("/api/login", json={"username": "carol", "password": newer}),
        await members.post("/api/members/carol/password", json={"password": newer}, headers=admin.bearer),
        await members.post("/api/members/ghost/password", json={"password": newer}, headers=admin.bearer),
        await members.get("/api/members", headers=admin.bearer),
        await members.get("/api/members/carol", headers=admin.bearer),
        await members.post("/api/login", json={"username": "carol", "password": newer}),
    ]
    assert [r.status_code for r in replies] == [200, 409, 401, 204, 404, 200, 200, 200]
    seen = "\n".join(r.text for r in replies) + "\n".join(r.getMessage() for r in caplog.records)
    for leak in (secret, newer, "$argon2", '"password"'):
        assert leak not in seen


@pytest.mark.parametrize("query", ["limit=99999999999999999999", "offset=99999999999999999999", "limit=-1"])
async def test_out_of_range_paging_is_400_not_a_server_error(members: ApiClient, admin: Login, query: str) -> None:
    # Found by schemathesis: a 20-digit limit overflowed SQLite's INTEGER and answered 500.
    response = await members.get(f"/api/members?{query}", headers=admin.bearer)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
