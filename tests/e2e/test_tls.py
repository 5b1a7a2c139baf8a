"""``server.cert`` and ``server.key``: the API and both WebSockets (ours, Neko v2's) over TLS on the
server's one port, with a self-signed certificate made for the test."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import websockets

from nekoapi.cli import _uvicorn_config
from tests.legacy.v2client import V2Client
from tests.support.factory import USER_PASSWORD, make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.tls import self_signed, trusting


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusted(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return trusting(certificate[0])


@pytest.fixture
def served(certificate: tuple[Path, Path]) -> Iterator[LiveServer]:
    cert, key = certificate
    with live_server(make_config(NEKO_SERVER_CERT=str(cert), NEKO_SERVER_KEY=str(key))) as server:
        yield server


async def test_the_api_and_the_websocket_answer_over_tls(served: LiveServer, trusted: ssl.SSLContext) -> None:
    assert served.http_url.startswith("https://")
    async with httpx.AsyncClient(base_url=served.http_url, verify=trusted) as http:
        login = await http.post("/api/login", json={"username": "tess", "password": USER_PASSWORD})
        token = login.json()["token"]
        assert (await http.get("/api/whoami", params={"token": token})).json()["id"] == login.json()["id"]
    # As a page served over https from this origin opens it (server.static): its Origin is the server's own.
    client = await EventClient.connect(served.ws_url(token), ssl=trusted, origin=served.http_url)
    assert served.ws_url().startswith("wss://")
    assert (await client.wait_for("system/init"))["session_id"] == login.json()["id"]
    await client.close()


async def test_neko_v2_s_websocket_answers_over_tls(served: LiveServer, trusted: ssl.SSLContext) -> None:
    query = urlencode({"password": USER_PASSWORD, "username": "vera"})
    connection = await websockets.connect(f"wss://127.0.0.1:{served.port}/ws?{query}", ssl=trusted)
    client = V2Client(connection)
    try:
        greeting = await client.events_until("signal/provide")  # Neko's v2 connect order, ending in the offer
        assert greeting[-1]["sdp"].startswith("v=0")
    finally:
        await client.close()


async def test_plain_http_is_not_answered_on_a_tls_port(served: LiveServer) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"http://127.0.0.1:{served.port}/health")


def test_nekoapi_serve_hands_the_certificate_to_uvicorn(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    config = make_config(NEKO_CERT=str(cert), NEKO_KEY=str(key))  # Neko v2's names
    served = _uvicorn_config(config, app=None, log_level="info")
    assert (served.ssl_certfile, served.ssl_keyfile, served.is_ssl) == (str(cert), str(key), True)
    assert _uvicorn_config(make_config(), app=None, log_level="info").is_ssl is False
