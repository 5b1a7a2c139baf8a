"""``nekoapi serve`` as a newcomer runs it: it serves, and its log never shows a token."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.factory import USER_PASSWORD
from tests.support.live import EventClient
from tests.support.patience import REPLY, START, STOP
from tests.support.tls import self_signed, trusting


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START
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
        "NEKO_MEMBER_PROVIDER": "multiuser",
        "NEKO_DESKTOP_ENABLED": "false",
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
            whoami = await http.get("/api/whoami", params={"token": token})
            assert whoami.status_code == 200
            assert "server" not in whoami.headers  # no server name or version to fingerprint
        client = await EventClient.connect(f"ws://127.0.0.1:{port}/api/ws?token={token}")
        await client.wait_for("system/init")
        await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=STOP)
    log = (out + err).decode()
    assert f"serving on http://127.0.0.1:{port}" in log
    assert "/api/whoami" in log and "/api/ws" in log  # the requests were logged ...
    assert token not in log and USER_PASSWORD not in log  # ... without their secrets


def test_serve_stops_with_a_clear_message_on_bad_configuration() -> None:
    env = {**os.environ, "NEKO_SESSION_HEARTBEAT_INTERVAL": "often"}
    result = subprocess.run([sys.executable, "-m", "nekoapi", "serve"], env=env, capture_output=True, timeout=START)
    assert result.returncode == 2
    assert "NEKO_SESSION_HEARTBEAT_INTERVAL: expected a whole number" in result.stderr.decode()


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """One server frame (servers do not mask): its opcode and payload."""
    head = sock.recv(2, socket.MSG_WAITALL)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(sock.recv(2, socket.MSG_WAITALL), "big")
    elif length == 127:
        length = int.from_bytes(sock.recv(8, socket.MSG_WAITALL), "big")
    return head[0] & 0x0F, sock.recv(length, socket.MSG_WAITALL) if length else b""


async def test_serve_sends_protocol_pings_at_the_heartbeat_interval() -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEKO_")},
        "NEKO_SERVER_BIND": f"127.0.0.1:{port}",
        "NEKO_MEMBER_PROVIDER": "multiuser",
        "NEKO_DESKTOP_ENABLED": "false",
        "NEKO_SESSION_HEARTBEAT_INTERVAL": "1",
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    process = subprocess.Popen([sys.executable, "-m", "nekoapi", "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        token = httpx.post(f"{url}/api/login", json={"username": "p", "password": USER_PASSWORD}).json()["token"]
        with socket.create_connection(("127.0.0.1", port), timeout=REPLY) as sock:
            sock.sendall(
                f"GET /api/ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            response = b""
            while b"\r\n\r\n" not in response:
                response += sock.recv(1)
            assert response.startswith(b"HTTP/1.1 101")
            # system/init, session/state and the three plugins' greetings come first.
            opcodes = [read_frame(sock)[0] for _ in range(7)]
        assert 0x9 in opcodes  # a protocol ping, so proxies see traffic on idle sockets
        assert 0x1 in opcodes  # besides the text events (system/init, system/heartbeat)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP)


def test_serve_over_tls_writes_its_log_to_the_log_folder_in_nekos_time(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEKO_")},
        "NEKO_SERVER_BIND": f"127.0.0.1:{port}",
        "NEKO_DESKTOP_ENABLED": "false",
        "NEKO_MEMBER_PROVIDER": "noauth",
        "NEKO_CERT": str(cert),  # Neko v2's names
        "NEKO_KEY": str(key),
        "NEKO_LOG_DIR": str(tmp_path / "logs"),
        "NEKO_LOG_TIME": "unix",
    }
    process = subprocess.Popen([sys.executable, "-m", "nekoapi", "serve"], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "server did not become healthy"
            try:
                health = httpx.get(f"https://127.0.0.1:{port}/health", verify=trusting(cert))
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.text == "true"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=STOP)
    assert f"serving on https://127.0.0.1:{port}" in err.decode()
    logged = (tmp_path / "logs" / "neko-latest.log").read_text().splitlines()
    assert any(re.fullmatch(r"\d{10} INFO nekoapi\.access: GET /health 200 .*", line) for line in logged), logged
