"""Redis stops and comes back while two servers serve one room (a private redis-server, not the shared one)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import EventClient
from tests.support.patience import REPLY, START
from tests.support.process import ServeProcess, serve
from tests.support.redis import PrivateRedis, private_redis, redis_env


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@contextlib.asynccontextmanager
async def servers(redis: PrivateRedis) -> AsyncIterator[tuple[ServeProcess, ApiClient, ServeProcess, ApiClient]]:
    env = {
        **redis_env(redis.url),
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
        "NEKO_SESSION_HEARTBEAT_INTERVAL": "1",  # heartbeats show the sockets stay served
    }
    with serve(**env) as a, serve(**env) as b:
        async with (
            ApiClient(base_url=a.url, timeout=REPLY) as http_a,
            ApiClient(base_url=b.url, timeout=REPLY) as http_b,
        ):
            yield a, http_a, b, http_b


async def test_an_outage_answers_503_keeps_sockets_and_recovers_without_losing_anything(
    redis_server: PrivateRedis,
) -> None:
    async with servers(redis_server) as (a, http_a, b, http_b):
        admin = await http_a.login_admin()
        user = await http_b.login_user()
        on_a = await EventClient.connect(a.ws_url(admin.token))
        await on_a.wait_for("system/init")
        on_b = await EventClient.connect(b.ws_url(user.token))
        await on_b.wait_for("system/init")
        leaver = await http_a.login_user("leaver")
        leaving = await EventClient.connect(b.ws_url(leaver.token))
        await leaving.wait_for("system/init")
        # Acknowledged before the outage: a settings change and a host.
        changed = await http_b.post("/api/room/settings", headers=admin.bearer, json={"inactive_cursors": True})
        assert changed.status_code == 204
        assert (await http_a.post("/api/room/control/take", headers=admin.bearer)).status_code == 204
        await on_b.wait_for("control/host", host_id=admin.id)

        redis_server.stop()

        for http in (http_a, http_b):
            health = await http.get("/health")
            assert health.status_code == 503
            assert health.json() == {"message": "redis unreachable", "code": 503}
        refused = [
            await http_a.post("/api/login", json={"username": "late", "password": USER_PASSWORD}),
            await http_b.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer),
            await http_a.post("/api/room/control/reset", headers=admin.bearer),
            await http_b.post("/api/room/settings", headers=admin.bearer, json={"private_mode": True}),
        ]
        for response in refused:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"message": "session store (redis) unreachable", "code": 503}
        # A token this server has not seen cannot be looked up: 503, not a wrong 401.
        unknown = await http_a.get("/api/whoami", headers={"Authorization": "Bearer " + "0" * 64})
        assert (unknown.status_code, unknown.json()["code"]) == (503, 503)
        # Known tokens still work for reads, and both sockets are still served.
        for http, login in ((http_a, user), (http_b, admin)):
            assert (await http.get("/api/whoami", headers=login.bearer)).status_code == 200
        for client in (on_a, on_b):
            assert await client.wait_for("system/heartbeat") is None
        await leaving.close()  # a change made during the outage, by B alone
        await asyncio.sleep(0.3)

        redis_server.start()  # empty: this redis-server keeps nothing on disk

        for http in (http_a, http_b):
            await _until_healthy(http)
        # A's clients learn what B changed while they could not hear it.
        await on_a.wait_for("session/state", id=leaver.id, is_connected=False)
        for http in (http_a, http_b):
            # Nothing acknowledged before the outage was lost, nothing refused during it happened.
            assert (await http.get("/api/whoami", headers=user.bearer)).json()["id"] == user.id
            settings = (await http.get("/api/room/settings", headers=admin.bearer)).json()
            assert (settings["inactive_cursors"], settings["private_mode"]) == (True, False)
            control = (await http.get("/api/room/control", headers=admin.bearer)).json()
            assert control == {"has_host": True, "host_id": admin.id}
            listed = {s["id"]: s for s in (await http.get("/api/sessions", headers=admin.bearer)).json()}
            assert set(listed) == {admin.id, user.id, leaver.id}
            assert listed[user.id]["state"]["is_connected"] is True
            assert listed[leaver.id]["state"]["is_connected"] is False
            stats = (await http.get("/api/stats", headers=admin.bearer)).json()
            assert (stats["total_users"], stats["total_admins"]) == (1, 1)

        # And it works as one server again: a disconnect through A reaches the socket on B.
        assert (await http_a.post("/api/room/control/reset", headers=admin.bearer)).status_code == 204
        for client in (on_a, on_b):
            await client.wait_for("control/host", has_host=False)
        assert (await http_a.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)).status_code == 204
        assert await on_b.wait_for("system/disconnect") == {"message": "session disconnected"}
        await on_b.closed()
        late = await http_b.login_user("late")
        assert (await http_a.get("/api/whoami", headers=late.bearer)).status_code == 200
        await on_a.close()


async def _until_healthy(http: ApiClient, timeout: float = START) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/health")).status_code == 200:
                return
        assert asyncio.get_running_loop().time() < deadline, "server did not recover"
        await asyncio.sleep(0.1)
