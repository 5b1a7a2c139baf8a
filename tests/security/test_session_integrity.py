"""Sessions stay what they were granted: revocations win races, the API session stays fixed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from nekoapi.config import ConfigError
from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.patience import REPLY
from tests.support.stores import seed_neko_file, store_env

API_TOKEN = "s" * 48
API = {"Authorization": f"Bearer {API_TOKEN}"}


class GatedLogin:
    """Holds logins after their password check, where a real (slow) hash would still be running."""

    def __init__(self, client: ApiClient) -> None:
        provider = client.app.services.members
        self.checking = asyncio.Event()
        self.release = asyncio.Event()
        original = provider.authenticate

        async def authenticate(username: str, password: str) -> Any:
            result = await original(username, password)
            self.checking.set()
            await self.release.wait()
            return result

        provider.authenticate = authenticate  # type: ignore[method-assign]


@pytest.fixture(params=["sqlite", "file"])
async def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with store_env(request.param, tmp_path) as env:
        if request.param == "file":
            seed_neko_file(tmp_path / "members.json", ADMIN_PASSWORD)
        async with api_client(make_config(**env, NEKO_SESSION_API_TOKEN=API_TOKEN)) as client:
            yield client


async def revoke_mid_login(client: ApiClient, revoke: str) -> tuple[int, dict[str, Any]]:
    """Log ``carol`` in, revoke her while her password is being checked; the login's answer."""
    created = await client.post("/api/members", json={"username": "carol", "password": "pw-carol"}, headers=API)
    assert created.status_code == 200, created.text
    gate = GatedLogin(client)
    login = asyncio.create_task(client.post("/api/login", json={"username": "carol", "password": "pw-carol"}))
    await asyncio.wait_for(gate.checking.wait(), REPLY)
    if revoke == "delete":
        revoked = await client.delete("/api/members/carol", headers=API)
    else:
        revoked = await client.post("/api/members/carol", json={"can_login": False}, headers=API)
    assert revoked.status_code == 204, revoked.text
    gate.release.set()
    response = await login
    return response.status_code, response.json()


@pytest.mark.parametrize(("revoke", "status"), [("delete", 401), ("can_login", 403)])
async def test_a_login_in_flight_when_its_member_is_revoked_fails(stored: ApiClient, revoke: str, status: int) -> None:
    code, body = await revoke_mid_login(stored, revoke)
    assert code == status, body
    assert "token" not in body
    sessions = (await stored.get("/api/sessions", headers=API)).json()
    assert "carol" not in {s["id"] for s in sessions}


async def test_a_login_in_flight_gets_the_profile_changed_meanwhile(stored: ApiClient) -> None:
    await stored.post(
        "/api/members", json={"username": "dan", "password": "pw-dan", "profile": {"is_admin": True}}, headers=API
    )
    gate = GatedLogin(stored)
    login = asyncio.create_task(stored.post("/api/login", json={"username": "dan", "password": "pw-dan"}))
    await asyncio.wait_for(gate.checking.wait(), REPLY)
    assert (await stored.post("/api/members/dan", json={"is_admin": False}, headers=API)).status_code == 204
    gate.release.set()
    response = await login
    assert response.status_code == 200
    me = await stored.get("/api/whoami", headers={"Authorization": f"Bearer {response.json()['token']}"})
    assert me.json()["profile"]["is_admin"] is False


# --- the API session's profile is fixed ---


@pytest.mark.parametrize("change", [{"can_login": False}, {"can_connect": True, "can_host": True}, {"name": "x"}])
async def test_the_api_session_cannot_change_its_own_profile(change: dict[str, Any]) -> None:
    async with api_client(make_config(NEKO_SESSION_API_TOKEN=API_TOKEN)) as client:
        before = (await client.get("/api/whoami", headers=API)).json()
        refused = await client.post("/api/profile", json=change, headers=API)
        assert refused.status_code == 403
        assert refused.json()["message"] == "the API session's profile cannot be changed"
        after = await client.get("/api/whoami", headers=API)
        assert after.status_code == 200 and after.json() == before
        assert after.json()["profile"]["can_connect"] is False
        assert (await client.get("/api/sessions", headers=API)).status_code == 200


# --- the id API is the API session's ---


@pytest.mark.parametrize("username", ["API", "api", "Api"])
async def test_a_member_cannot_be_created_with_the_api_session_id(stored: ApiClient, username: str) -> None:
    response = await stored.post("/api/members", json={"username": username, "password": "pw"}, headers=API)
    assert response.status_code == 422
    assert response.json()["message"] == "the username API is reserved for the API session"
    assert username not in {m["id"] for m in (await stored.get("/api/members", headers=API)).json()}


async def test_a_multiuser_login_named_api_is_not_the_api_session() -> None:
    async with api_client(make_config(NEKO_SESSION_API_TOKEN=API_TOKEN)) as client:  # multiuser: any username
        login = await client.login("API", USER_PASSWORD)
        assert login.id.startswith("API-")  # multiuser sessions are <username>-<suffix>
        assert (await client.delete("/api/sessions/API", headers=API)).status_code == 404
        assert (await client.get("/api/whoami", headers=login.bearer)).status_code == 200


async def test_a_members_file_entry_named_api_cannot_log_in(tmp_path: Path) -> None:
    path = tmp_path / "members.json"
    seed_neko_file(path, ADMIN_PASSWORD)
    entries = json.loads(path.read_text())
    entries["API"] = entries["admin"]
    path.write_text(json.dumps(entries))
    config = make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path), NEKO_SESSION_API_TOKEN=API_TOKEN)
    async with api_client(config) as client:
        response = await client.post("/api/login", json={"username": "API", "password": ADMIN_PASSWORD})
        assert response.status_code == 403
        assert (await client.get("/api/whoami", headers=API)).json()["profile"]["name"] == "API Session"


def test_object_users_may_not_name_the_api_session() -> None:
    users = json.dumps([{"username": "api", "password": "pw", "profile": {}}])
    with pytest.raises(ConfigError, match=r"^NEKO_MEMBER_OBJECT_USERS: the username 'api' is reserved for the API"):
        make_config(NEKO_MEMBER_PROVIDER="object", NEKO_MEMBER_OBJECT_USERS=users)
