"""Every accepted value can be stored and sent back; a value nested too deep is refused (400).

An integer beyond 64 bits or a value nested 300 deep used to be accepted (204)
and then broke every later read of the room settings or the profile (500), and
every new WebSocket's system/init. Such integers are kept as doubles now, as by
Neko's Go server; a body nested deeper than MAX_DEPTH changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from nekoapi.config import Config
from nekoapi.web.bodies import MAX_DEPTH
from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import EventClient, live_server
from tests.support.patience import REPLY


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# Each lands in `plugins.x`: the body and `plugins` are two levels of nesting already.
UNSTORABLE = {"nested 300 deep": nested(300), "nested one level too deep": nested(MAX_DEPTH - 1)}
DEEPEST = nested(MAX_DEPTH - 2)
BIG = {"past 64 bits": 18446744073709551616, "below -2**63": -9223372036854775809, "max": 2**64 - 1}
# What comes back: the nearest double beyond 64 bits (as Neko's Go server, which decodes numbers as float64).
BIG_SENT_BACK = {"past 64 bits": float(2**64), "below -2**63": float(-(2**63) - 1), "max": 2**64 - 1}


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


async def test_the_deepest_value_and_integers_past_64_bits_are_stored_and_sent_back() -> None:
    """Integers orjson cannot write are doubles, as in Neko; the depth limit leaves room for replies and events."""
    with live_server(make_config()) as server:  # a real socket: system/init is written by the frame writer
        async with ApiClient(base_url=server.http_url, timeout=REPLY) as http:
            admin = await http.login_admin()
            settings = await http.post("/api/room/settings", json={"plugins": {"x": DEEPEST}}, headers=admin.bearer)
            profile = await http.post("/api/profile", json={"plugins": BIG}, headers=admin.bearer)
            assert (settings.status_code, profile.status_code) == (204, 204), (settings.text, profile.text)
            assert (await http.get("/api/room/settings", headers=admin.bearer)).json()["plugins"] == {"x": DEEPEST}
            assert (await http.get("/api/whoami", headers=admin.bearer)).json()["profile"]["plugins"] == BIG_SENT_BACK
            socket = await EventClient.connect(server.ws_url(admin.token))
            init = await socket.wait_for("system/init")
            await socket.close()
    assert init["settings"]["plugins"] == {"x": DEEPEST}
    assert init["sessions"][admin.id]["profile"]["plugins"] == BIG_SENT_BACK


async def test_members_store_and_send_back_integers_past_64_bits(sqlite_config: Config) -> None:
    async with api_client(sqlite_config) as members:
        bearer = (await members.login("admin", ADMIN_PASSWORD)).bearer
        body = {"username": "eve", "password": "p", "profile": {"plugins": BIG}}
        created = await members.post("/api/members", json=body, headers=bearer)
        assert created.status_code == 200, created.text
        bulk = {"ids": ["eve"], "profile": {"plugins": {**BIG, "more": 10**30}}}
        assert (await members.post("/api/members_bulk/update", json=bulk, headers=bearer)).status_code == 204
        assert (await members.get("/api/members/eve", headers=bearer)).json()["plugins"] == {
            **BIG_SENT_BACK,
            "more": float(10**30),
        }
