"""server.path_prefix, server.cors and server.proxy."""

from __future__ import annotations

import logging

import httpx
import pytest
import websockets

from nekoapi.config import Config
from tests.support.client import ApiClient, api_client
from tests.support.factory import make_config
from tests.support.live import EventClient, live_server

PREFIXED = make_config(NEKO_SERVER_PATH_PREFIX="/neko/")


@pytest.mark.parametrize("config", [PREFIXED])
async def test_every_route_moves_under_the_prefix(client: ApiClient, config: Config) -> None:
    assert (await client.get("/neko/health")).json() is True
    assert (await client.get("/neko/openapi.json")).status_code == 200
    login = await client.post("/neko/api/login", json={"username": "ann", "password": "user-secret"})
    assert login.status_code == 200
    token = login.json()["token"]
    assert (await client.get("/neko/api/whoami", params={"token": token})).status_code == 200
    outside = await client.get("/api/whoami", params={"token": token})
    assert outside.status_code == 404
    assert outside.json() == {"message": "not found", "code": 404}
    assert (await client.get("/nekoX/health")).status_code == 404


@pytest.mark.parametrize("config", [PREFIXED])
async def test_batch_paths_may_carry_the_prefix_or_not(client: ApiClient, config: Config) -> None:
    login = await client.post("/neko/api/login", json={"username": "ann", "password": "user-secret"})
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    batch = [{"path": "/neko/api/whoami", "method": "GET"}, {"path": "/api/whoami", "method": "GET"}]
    response = await client.post("/neko/api/batch", json=batch, headers=bearer)
    assert [r["status"] for r in response.json()] == [200, 200]


async def test_the_websocket_moves_under_the_prefix() -> None:
    with live_server(PREFIXED) as server:
        base = f"http://127.0.0.1:{server.port}/neko"
        async with httpx.AsyncClient(base_url=base) as http:
            token = (await http.post("/api/login", json={"username": "a", "password": "user-secret"})).json()["token"]
        socket = await EventClient.connect(f"ws://127.0.0.1:{server.port}/neko/api/ws?token={token}")
        assert (await socket.wait_for("system/init"))["session_id"].startswith("a-")
        await socket.close()
        with pytest.raises(websockets.InvalidStatus):  # refused before the handshake completes
            await EventClient.connect(f"ws://127.0.0.1:{server.port}/api/ws?token={token}")


CORS = make_config(NEKO_SERVER_CORS="https://app.example")


@pytest.mark.parametrize("config", [CORS])
async def test_cors_allows_configured_origins_only(client: ApiClient, config: Config) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    allowed = await client.options("/api/login", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = await client.options("/api/login", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    simple = await client.get("/health", headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    other = await client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("config", [make_config(NEKO_SERVER_CORS="*")])
async def test_cors_star_allows_any_origin(client: ApiClient, config: Config) -> None:
    response = await client.get("/health", headers={"Origin": "https://anywhere.example"})
    assert response.headers["access-control-allow-origin"] in {"*", "https://anywhere.example"}


async def test_without_cors_no_header_is_sent(client: ApiClient) -> None:
    response = await client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(("proxy", "client_address"), [("true", "203.0.113.9"), ("false", "127.0.0.1")])
async def test_forwarded_for_is_trusted_only_with_proxy_enabled(
    caplog: pytest.LogCaptureFixture, proxy: str, client_address: str
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    with caplog.at_level(logging.INFO, logger="nekoapi.access"):
        async with api_client(make_config(NEKO_SERVER_PROXY=proxy)) as client:
            assert (await client.get("/health", headers=forwarded)).status_code == 200
    (line,) = [r.getMessage() for r in caplog.records if r.name == "nekoapi.access"]
    assert line.endswith(f"client={client_address}")
