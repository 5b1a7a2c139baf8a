"""Metrics follow a scripted sequence: logins, a WebSocket connect, a forced disconnect."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from nekoapi.config import Config
from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import EventClient, LiveServer
from tests.support.metrics import Samples, parse, value
from tests.support.patience import REPLY


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_metrics_follow_login_connect_and_disconnect(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        before = await scrape(http)
        assert value(before, "neko_sessions_connected", role="user") == 0
        bad = await http.post("/api/login", json={"username": "eve", "password": "wrong"})
        assert bad.status_code == 401
        admin = (await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})).json()
        socket = await EventClient.connect(server.ws_url(admin["token"]))
        await socket.wait_for("system/init")
        connected = await scrape(http)
        answer = await http.post(
            f"/api/sessions/{admin['id']}/disconnect", headers={"Authorization": f"Bearer {admin['token']}"}
        )
        assert answer.status_code == 204
        await socket.closed()
        after = await scrape(http)

    assert value(connected, "neko_logins_total", outcome="success") == 1
    assert value(connected, "neko_logins_total", outcome="invalid_credentials") == 1
    assert value(connected, "neko_sessions_connected", role="admin") == 1
    assert value(connected, "neko_websocket_messages_total", direction="out") >= 2  # system/init, system/admin
    assert value(after, "neko_sessions_connected", role="admin") == 0
    assert value(after, "neko_websocket_disconnects_total", reason="session disconnected") == 1
    assert value(after, "neko_websocket_messages_total", direction="out") > value(
        connected, "neko_websocket_messages_total", direction="out"
    )
    assert value(after, "neko_http_requests_total", operation="sessionDisconnect", status="204") == 1
    assert value(after, "neko_http_requests_total", operation="login", status="401") == 1
    assert value(after, "neko_http_request_duration_seconds_count", operation="login") == 2


async def test_client_messages_and_client_closes_are_counted(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        user = (await http.post("/api/login", json={"username": "u", "password": "user-secret"})).json()
        socket = await EventClient.connect(server.ws_url(user["token"]))
        await socket.wait_for("system/init")
        await socket.send("client/heartbeat")
        await socket.close()
        samples = await scrape(http)
        deadline = asyncio.get_running_loop().time() + REPLY
        # The server notices the close asynchronously: seconds on a loaded machine.
        while asyncio.get_running_loop().time() < deadline:
            if value(samples, "neko_websocket_disconnects_total", reason="client closed"):
                break
            await asyncio.sleep(0.05)
            samples = await scrape(http)
    assert value(samples, "neko_websocket_messages_total", direction="in") == 1
    assert value(samples, "neko_websocket_disconnects_total", reason="client closed") == 1
    assert value(samples, "neko_sessions_connected", role="user") == 0


@pytest.mark.parametrize("config", [make_config(NEKO_SERVER_METRICS="false")])
async def test_metrics_can_be_switched_off(config: Config) -> None:
    async with api_client(config) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["message"] == "metrics are disabled (server.metrics)"


async def test_unrouted_requests_are_counted_without_an_operation(client: ApiClient) -> None:
    await client.get("/no/such/page")
    samples = parse((await client.get("/metrics")).text)
    assert value(samples, "neko_http_requests_total", operation="none", status="404") == 1
