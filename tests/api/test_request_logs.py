"""One log line per request and per WebSocket event, plain or JSON, with the session id and no secret."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

import httpx
import orjson

from nekoapi import logs
from tests.support.client import api_client
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import EventClient, live_server
from tests.support.logs import on_root_logger


@contextlib.contextmanager
def captured(*, json: bool) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    with on_root_logger(logs.make_handler(json=json, stream=stream), logging.INFO):
        yield stream


async def scripted_requests() -> tuple[str, str]:
    """Log in, call with each credential style, fail once; the session id and token used."""
    async with api_client(make_config()) as client:
        user = await client.login_user("erin")
        await client.get("/api/whoami", params={"token": user.token})
        await client.get("/api/whoami", headers=user.bearer)
        await client.get("/api/whoami", headers={"Authorization": "Bearer not-a-token"})
    return user.id, user.token


async def test_plain_lines_one_per_request_with_session_and_without_secrets() -> None:
    with captured(json=False) as stream:
        session_id, token = await scripted_requests()
    text = stream.getvalue()
    access = [line for line in text.splitlines() if " nekoapi.access: " in line]
    assert len(access) == 4
    assert "POST /api/login 200" in access[0] and " login " in access[0]
    assert access[1].endswith(f"session={session_id}") and "GET /api/whoami 200" in access[1]
    assert access[2].endswith(f"session={session_id}")
    assert "GET /api/whoami 401" in access[3] and "session=" not in access[3]
    assert token not in text and USER_PASSWORD not in text


async def test_json_lines_carry_fields_and_session_id() -> None:
    with captured(json=True) as stream:
        session_id, token = await scripted_requests()
    text = stream.getvalue()
    entries = [orjson.loads(line) for line in text.splitlines()]
    access = [e for e in entries if e["logger"] == "nekoapi.access"]
    assert [(e["operation"], e["status"]) for e in access] == [
        ("login", 200),
        ("whoami", 200),
        ("whoami", 200),
        ("whoami", 401),
    ]
    assert [e.get("session_id") for e in access] == [None, session_id, session_id, None]
    assert all(e["level"] == "info" and e["method"] in {"GET", "POST"} for e in access)
    assert token not in text and USER_PASSWORD not in text


async def test_websocket_lifecycle_lines_name_the_session() -> None:
    with captured(json=True) as stream, live_server(make_config()) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            login = await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            admin = login.json()
            socket = await EventClient.connect(server.ws_url(admin["token"]))
            await socket.wait_for("system/init")
            await http.post(f"/api/sessions/{admin['id']}/disconnect", params={"token": admin["token"]})
            await socket.closed()
    text = stream.getvalue()
    entries = [orjson.loads(line) for line in text.splitlines()]
    lifecycle = [e["message"] for e in entries if e["logger"] == "nekoapi.web.websocket"]
    assert any(m.startswith("websocket connected") for m in lifecycle)
    assert "websocket closed by server: session disconnected" in lifecycle
    assert all(e.get("session_id") == admin["id"] for e in entries if e["logger"] == "nekoapi.web.websocket")
    assert admin["token"] not in text and ADMIN_PASSWORD not in text
