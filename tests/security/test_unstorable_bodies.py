"""Values the server could not store and send back are refused with a 400, and nothing changes.

An integer beyond 64 bits or a value nested past the limit used to be accepted
(204) and then broke every later read of the room settings or the profile (500).
"""

from __future__ import annotations

from typing import Any

import pytest

from nekoapi.config import Config
from nekoapi.web.bodies import MAX_DEPTH
from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import EventClient, live_server


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# Each lands in a `plugins` value, nested below the body's top level by PLUGINS_LEVELS.
UNSTORABLE = {
    "integer past 64 bits": 18446744073709551616,
    "integer below -2**63": -9223372036854775809,
    "nested too deep": nested(300),
    "nested one level too deep": nested(MAX_DEPTH),
}


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_room_settings_refuse_what_they_could_not_send_back(client: ApiClient, value: Any) -> None:
    admin = await client.login_admin()
    before = (await client.get("/api/room/settings", headers=admin.bearer)).json()
    response = await client.post("/api/room/settings", json={"plugins": {"x": value}}, headers=admin.bearer)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 400
    after = await client.get("/api/room/settings", headers=admin.bearer)
    assert after.status_code == 200
    assert after.json() == before


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_own_profile_refuses_what_it_could_not_send_back(client: ApiClient, value: Any) -> None:
    admin = await client.login_admin()
    response = await client.post("/api/profile", json={"plugins": {"x": value}}, headers=admin.bearer)
    assert response.status_code == 400, response.text
    whoami = await client.get("/api/whoami", headers=admin.bearer)
    assert whoami.status_code == 200
    assert whoami.json()["profile"]["plugins"] == {}


@pytest.fixture
def sqlite_config() -> Config:
    return make_config(NEKO_MEMBER_PROVIDER="sqlite")


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
async def test_member_operations_refuse_what_they_could_not_send_back(sqlite_config: Config, value: Any) -> None:
    profile = {"plugins": {"x": value}}
    async with api_client(sqlite_config) as members:
        admin = await members.login("admin", ADMIN_PASSWORD)
        bearer = admin.bearer
        create = await members.post(
            "/api/members", json={"username": "eve", "password": "p", "profile": profile}, headers=bearer
        )
        assert create.status_code == 400, create.text
        assert (await members.get("/api/members/eve", headers=bearer)).status_code == 404
        update = await members.post("/api/members/admin", json=profile, headers=bearer)
        bulk = await members.post(
            "/api/members_bulk/update", json={"ids": ["admin"], "profile": profile}, headers=bearer
        )
        assert (update.status_code, bulk.status_code) == (400, 400), (update.text, bulk.text)
        stored = await members.get("/api/members/admin", headers=bearer)
        assert stored.status_code == 200
        assert stored.json()["plugins"] == {}


async def test_the_deepest_accepted_value_is_stored_and_sent_back() -> None:
    """The limit leaves room for the levels replies and events add around a stored value."""
    deepest = {"x": nested(MAX_DEPTH - 2)}  # body, plugins, x: MAX_DEPTH levels in all
    big = {"max": 18446744073709551615, "min": -9223372036854775808}
    with live_server(make_config()) as server:
        async with ApiClient(base_url=server.http_url, timeout=10) as http:
            admin = await http.login_admin()
            settings = await http.post("/api/room/settings", json={"plugins": deepest}, headers=admin.bearer)
            profile = await http.post("/api/profile", json={"plugins": big}, headers=admin.bearer)
            assert (settings.status_code, profile.status_code) == (204, 204), (settings.text, profile.text)
            assert (await http.get("/api/room/settings", headers=admin.bearer)).json()["plugins"] == deepest
            socket = await EventClient.connect(server.ws_url(admin.token))
            init = await socket.wait_for("system/init")
            await socket.close()
    assert init["settings"]["plugins"] == deepest
    assert init["sessions"][admin.id]["profile"]["plugins"] == big
