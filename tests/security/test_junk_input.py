"""Hostile paths and bodies get a 4xx JSON answer, never a 500, and change nothing."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient

JUNK_IDS = ["..%2F..%2Fetc%2Fpasswd", "../admin", "a%00b", "%00", "x" * 10_000, "日本語-ß-🙂", "%FF%FE", "%", " "]

JUNK_BODIES = [
    b"[" * 100_000,
    b'{"username": ' + b"9" * 5000 + b', "password": "x"}',
    b'{"username": "\xff\xfe", "password": "x"}',
    b'{"username": 1e999999, "password": "x"}',
    # Duplicate keys: the last one counts (as in Neko), and it has the wrong type for profile and login alike.
    b'{"username": "a", "name": "a", "username": 5, "name": 5, "password": "x"}',
    b"\x00\x01\x02",
    b'{"username": "a", "password": "x"' + b" " * 10,
    b"null",
]


async def snapshot(client: ApiClient, bearer: dict[str, str]) -> list[object]:
    return sorted(s["id"] for s in (await client.get("/api/sessions", headers=bearer)).json())


TARGETS = [("GET", "/api/sessions/{}"), ("POST", "/api/sessions/{}/disconnect"), ("DELETE", "/api/sessions/{}")]


@pytest.mark.parametrize("junk", JUNK_IDS)
@pytest.mark.parametrize(("method", "template"), TARGETS)
async def test_hostile_session_ids(client: ApiClient, junk: str, method: str, template: str) -> None:
    admin = await client.login_admin()
    before = await snapshot(client, admin.bearer)
    response = await client.request(method, template.format(junk), headers=admin.bearer)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["message"]
    assert await snapshot(client, admin.bearer) == before


@pytest.mark.parametrize("body", JUNK_BODIES, ids=range(len(JUNK_BODIES)))
@pytest.mark.parametrize("path", ["/api/login", "/api/profile"])
async def test_hostile_bodies(client: ApiClient, body: bytes, path: str) -> None:
    admin = await client.login_admin()
    before = await snapshot(client, admin.bearer)
    response = await client.post(path, content=body, headers={**admin.bearer, "content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert await snapshot(client, admin.bearer) == before
    assert (await client.get("/api/whoami", headers=admin.bearer)).json()["profile"]["is_admin"] is True


NEWLINE_PATHS = [
    ("GET", "/api/sessions/abc%0A"),
    ("DELETE", "/api/sessions/abc%0A"),
    ("GET", "/api/members/x%0A"),
    ("POST", "/api/room/control/reset%0A"),
    ("POST", "/api/room/control/request%0A"),
    ("GET", "/api/whoami%0A"),
    ("GET", "/api/sessions/a%0Db"),
]


@pytest.mark.parametrize(("method", "path"), NEWLINE_PATHS)
async def test_control_characters_in_the_path_never_reach_an_operation(
    client: ApiClient, method: str, path: str
) -> None:
    # Found by schemathesis: "$" in the route patterns matches before a trailing newline, so
    # "/api/sessions/abc%0A" reached its operation while Connexion's security layer let it pass.
    user = await client.login_user("victim")
    response = await client.request(method, path)
    assert response.status_code == 404
    assert response.json() == {"message": "not found", "code": 404}
    assert (await client.get("/api/whoami", headers=user.bearer)).status_code == 200
