"""``nekoapi serve`` as a newcomer runs it: it serves, and its log never shows a token."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.support.factory import USER_PASSWORD
from tests.support.live import EventClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not become healthy")


async def test_serve_runs_the_api_and_keeps_tokens_out_of_the_log() -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEKO_")},
        "NEKO_SERVER_BIND": f"127.0.0.1:{port}",
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "nekoapi", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        async with httpx.AsyncClient(base_url=url) as http:
            login = await http.post("/api/login", json={"username": "eve", "password": USER_PASSWORD})
            token = login.json()["token"]
            assert (await http.get("/api/whoami", params={"token": token})).status_code == 200
        client = await EventClient.connect(f"ws://127.0.0.1:{port}/api/ws?token={token}")
        await client.wait_for("system/init")
        await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    log = (out + err).decode()
    assert f"serving on http://127.0.0.1:{port}" in log
    assert "/api/whoami" in log and "/api/ws" in log  # the requests were logged ...
    assert token not in log and USER_PASSWORD not in log  # ... without their secrets


def test_serve_stops_with_a_clear_message_on_bad_configuration() -> None:
    env = {**os.environ, "NEKO_SESSION_HEARTBEAT_INTERVAL": "often"}
    result = subprocess.run([sys.executable, "-m", "nekoapi", "serve"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 2
    assert "NEKO_SESSION_HEARTBEAT_INTERVAL: expected a whole number" in result.stderr.decode()
