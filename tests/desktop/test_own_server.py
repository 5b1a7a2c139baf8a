"""Without a display nekoapi runs its own X server: started, restarted when it dies, stopped at the end,
and ended with its app and PulseAudio even when nekoapi itself is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import httpx
import pytest

from tests.support.patience import REPLY, START, STOP

from ..support.client import ApiClient, api_client
from ..support.factory import make_config
from ..support.process import ServeProcess, free_port

pytestmark = pytest.mark.desktop


def own_server_config(**env: str) -> object:
    return make_config(NEKO_DESKTOP_ENABLED="true", NEKO_DESKTOP_APP="", **env)


async def wait_status(client: ApiClient, status: int, timeout: float = REPLY) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        reply = await client.get("/health")
        if reply.status_code == status or asyncio.get_running_loop().time() > deadline:
            return reply
        await asyncio.sleep(0.1)


async def test_a_dead_x_server_is_reported_and_restarted() -> None:
    async with api_client(own_server_config()) as client:  # type: ignore[arg-type]
        desktop = client.app.services.desktop
        server = desktop.runtime.server
        assert server is not None and server.kind == "xorg" and desktop.display == server.display
        assert (await client.get("/health")).json() is True
        os.kill(server.pid, signal.SIGKILL)
        down = await wait_status(client, 503)
        assert down.status_code == 503
        assert down.json()["message"].startswith("desktop is not available: X display")
        admin = await client.login_admin()
        refused = await client.get("/api/room/screen", headers=admin.bearer)
        assert refused.status_code in (503, 200)  # it may be back already
        assert (await wait_status(client, 200)).json() is True
        assert desktop.runtime.restarts >= 1
        back = await client.get("/api/room/screen", headers=admin.bearer)
        assert back.json() == {"width": 1280, "height": 720, "rate": 30}  # desktop.screen re-applied
        pid = server.pid
    assert pid is not None and not _alive(pid) and not server.alive()  # stopped with the app


async def test_the_xvfb_fallback_serves_the_screen_at_its_one_size() -> None:
    async with api_client(own_server_config(NEKO_DESKTOP_XSERVER="xvfb")) as client:  # type: ignore[arg-type]
        assert client.app.services.desktop.runtime.server.kind == "xvfb"
        admin = await client.login_admin()
        assert (await client.get("/api/room/screen", headers=admin.bearer)).json()["width"] == 1280
        sizes = (await client.get("/api/room/screen/configurations", headers=admin.bearer)).json()
        assert sizes and all(s["width"] <= 1280 and s["height"] <= 720 for s in sizes)
        refused = await client.post("/api/room/screen", json={"width": 1920, "height": 1080}, headers=admin.bearer)
        assert refused.status_code == 422  # Xvfb cannot grow past its start size
        shot = await client.get("/api/room/screen/shot.jpg", headers=admin.bearer)
        assert shot.status_code == 200 and shot.content[:2] == b"\xff\xd8"


def test_nekoapi_serve_starts_its_own_x_server_and_stops_it() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_") and k != "DISPLAY"}
    env.update(NEKO_SERVER_BIND=f"127.0.0.1:{port}", NEKO_MEMBER_PROVIDER="multiuser", NEKO_DESKTOP_APP="")
    popen = subprocess.Popen([sys.executable, "-m", "nekoapi", "serve"], env=env, stdout=PIPE, stderr=PIPE)
    serving = ServeProcess(popen, port)
    try:
        serving.wait_healthy()
        login = httpx.post(f"{serving.url}/api/login", json={"username": "a", "password": "admin"})
        screen = httpx.get(
            f"{serving.url}/api/room/screen", headers={"Authorization": f"Bearer {login.json()['token']}"}
        )
        assert screen.json() == {"width": 1280, "height": 720, "rate": 30}
        servers = _x_servers_of(popen.pid)
        assert servers, "no X server child"
    finally:
        code, _ = serving.stop(signal.SIGTERM, timeout=STOP)
    assert code == 0
    assert all(not _alive(pid) for pid in servers)


def test_a_killed_nekoapi_takes_its_x_server_app_and_pulseaudio_with_it(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_") and k != "DISPLAY"}
    env.update(NEKO_SERVER_BIND=f"127.0.0.1:{port}", NEKO_MEMBER_PROVIDER="multiuser")  # the default app: Chromium
    popen = subprocess.Popen(
        [sys.executable, "-m", "nekoapi", "serve"], env=env, cwd=tmp_path, stdout=PIPE, stderr=PIPE
    )
    serving = ServeProcess(popen, port)
    try:
        serving.wait_healthy(timeout=START)
        deadline = time.monotonic() + START
        while {"Xorg", "chromium", "pulseaudio"} - set(_children_of(popen.pid).values()):
            assert time.monotonic() < deadline, f"children so far: {_children_of(popen.pid)}"
            time.sleep(0.2)
        children = _children_of(popen.pid)
    finally:
        popen.kill()  # no chance to stop anything itself
        popen.wait()
    deadline = time.monotonic() + STOP
    while running := [name for pid, name in children.items() if _alive(pid)]:
        assert time.monotonic() < deadline, f"still running after nekoapi was killed: {running}"
        time.sleep(0.2)


def _children_of(parent: int) -> dict[int, str]:
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(parent)], capture_output=True, text=True).stdout
    return {int(pid): comm.strip() for pid, _, comm in (line.strip().partition(" ") for line in out.splitlines())}


def _alive(pid: int) -> bool:
    """Running and not a zombie (a killed server's children are reparented, and may never be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _x_servers_of(parent: int) -> list[int]:
    return [pid for pid, comm in _children_of(parent).items() if "X" in comm]
