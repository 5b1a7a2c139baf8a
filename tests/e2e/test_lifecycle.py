"""A real ``nekoapi serve`` process: graceful stop on signals, sessions kept across restarts."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import EventClient
from tests.support.process import serve

PASSWORDS = {
    "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
    "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
}


async def login(url: str, username: str, password: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_says_goodbye_to_every_socket_and_exits_0(sig: signal.Signals) -> None:
    with serve(**PASSWORDS) as server:
        users = [
            await login(server.url, "admin", ADMIN_PASSWORD),
            await login(server.url, "ann", USER_PASSWORD),
            await login(server.url, "bob", USER_PASSWORD),
        ]
        clients = [await EventClient.connect(server.ws_url(user["token"])) for user in users]
        for client in clients:
            await client.wait_for("system/init")
        code, seconds = await asyncio.to_thread(server.stop, sig)
        goodbyes = [await client.wait_for("system/disconnect") for client in clients]
        closes = [await client.closed() for client in clients]
        log = server.output()
    assert code == 0, log
    assert seconds < 10
    assert goodbyes == [{"message": "server shutdown"}] * 3
    assert all(close is not None and close.reason == "server shutdown" for close in closes)


async def test_sessions_survive_a_restart_with_session_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**PASSWORDS, "NEKO_SESSION_FILE": str(tmp_path / "sessions.db")}
    with serve(**env) as server:
        user = await login(server.url, "carol", USER_PASSWORD)
        bearer = {"Authorization": f"Bearer {user['token']}"}
        async with httpx.AsyncClient(base_url=server.url, headers=bearer) as http:
            assert (await http.post("/api/profile", json={"name": "Carol C."})).status_code == 204
        code, _ = await asyncio.to_thread(server.stop)
        assert code == 0
    assert user["token"] not in (tmp_path / "sessions.db").read_bytes().decode("latin-1")

    with serve(**env) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=bearer) as http:
            whoami = await http.get("/api/whoami")
        assert whoami.status_code == 200
        assert whoami.json()["id"] == user["id"]
        assert whoami.json()["profile"]["name"] == "Carol C."
        assert whoami.json()["state"]["is_connected"] is False
        client = await EventClient.connect(server.ws_url(user["token"]))
        init = await client.wait_for("system/init")
        assert init["session_id"] == user["id"]
        await client.close()


async def test_without_session_file_a_restart_logs_everyone_out() -> None:
    with serve(**PASSWORDS) as server:
        user = await login(server.url, "dan", USER_PASSWORD)
    with serve(**PASSWORDS) as server:
        response = httpx.get(f"{server.url}/api/whoami", params={"token": user["token"]})
    assert response.status_code == 401
