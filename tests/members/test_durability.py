"""Members survive restarts, and a SIGKILL in the middle of a burst keeps every acknowledged write."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nekoapi.members import create_provider
from tests.support.patience import REPLY, START, STOP

from ..support.client import api_client
from ..support.factory import ADMIN_PASSWORD, make_config
from ..support.stores import seed_neko_file, store_env

WORKERS = 16
KILL_AFTER_ACKS = 40


async def test_api_writes_survive_a_restart(store_config: object) -> None:
    async with api_client(store_config) as client:  # type: ignore[arg-type]
        admin = await client.login("admin", ADMIN_PASSWORD)
        for name in ("bob", "carol", "dave"):
            body = {"username": name, "password": f"{name}-pw"}
            assert (await client.post("/api/members", json=body, headers=admin.bearer)).status_code == 200
        assert (
            await client.post("/api/members/bob", json={"can_host": False}, headers=admin.bearer)
        ).status_code == 204
        body = {"password": "carol-new"}
        assert (await client.post("/api/members/carol/password", json=body, headers=admin.bearer)).status_code == 204
        assert (await client.delete("/api/members/dave", headers=admin.bearer)).status_code == 204
    async with api_client(store_config) as client:  # type: ignore[arg-type]
        admin = await client.login("admin", ADMIN_PASSWORD)
        listed = (await client.get("/api/members", headers=admin.bearer)).json()
        assert [m["id"] for m in listed] == ["admin", "bob", "carol"]
        assert listed[1]["profile"]["can_host"] is False
        assert (await client.login("carol", "carol-new")).id == "carol"
        assert (await client.post("/api/login", json={"username": "carol", "password": "carol-pw"})).status_code == 401


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m nekoapi serve`` as its own process, with only our NEKO_* variables."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_")}
    full["NEKO_DESKTOP_ENABLED"] = "false"  # no X server for these
    full.update(env, NEKO_SERVER_BIND=f"127.0.0.1:{port}")
    process = subprocess.Popen(
        [sys.executable, "-m", "nekoapi", "serve", "--log-level", "warning"],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START
        while True:
            assert process.poll() is None, "server exited during start-up"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(STOP)


class Burst:
    """Many clients create members and then rename each, until the server dies.

    ``created`` and ``renamed`` hold the usernames whose write the server acknowledged.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.created: set[str] = set()
        self.renamed: set[str] = set()
        self.stop = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=REPLY) as http:
            login = await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            http.headers["Authorization"] = f"Bearer {login.json()['token']}"
            await asyncio.gather(*(self._worker(http, i) for i in range(WORKERS)))

    async def _worker(self, http: httpx.AsyncClient, worker_id: int) -> None:
        n = 0
        while not self.stop.is_set():
            name = f"w{worker_id}n{n}"
            n += 1
            with contextlib.suppress(httpx.TransportError):
                if (await http.post("/api/members", json={"username": name, "password": "pw"})).status_code == 200:
                    self.created.add(name)
                if (await http.post(f"/api/members/{name}", json={"name": "renamed"})).status_code == 204:
                    self.renamed.add(name)


@pytest.mark.parametrize("kind", ["sqlite", "file"])
async def test_sigkill_during_a_burst_keeps_every_acknowledged_write(kind: str, tmp_path: Path) -> None:
    async with store_env(kind, tmp_path) as store:
        env = {
            **store,
            "NEKO_MEMBER_SQLITE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "NEKO_MEMBER_ARGON2_TIME_COST": "1",
            "NEKO_MEMBER_ARGON2_MEMORY_KIB": "1024",
        }
        if kind == "file":
            seed_neko_file(tmp_path / "members.json", ADMIN_PASSWORD)
        with serve(env) as (process, url):
            burst = Burst(url)
            running = asyncio.ensure_future(burst.run())
            deadline = time.monotonic() + 60
            while len(burst.created) < KILL_AFTER_ACKS:
                assert not running.done(), running
                assert time.monotonic() < deadline, f"only {len(burst.created)} writes acknowledged in 60 s"
                await asyncio.sleep(0.005)
            os.kill(process.pid, signal.SIGKILL)  # requests are in flight right now
            assert process.wait(STOP) == -signal.SIGKILL
            burst.stop.set()
            await running
        in_flight_at_kill = WORKERS  # each worker had one request open
        assert len(burst.created) >= KILL_AFTER_ACKS

        # The store opens cleanly and holds every write acknowledged before the kill.
        provider = create_provider(make_config(**env).member)
        await provider.open()
        try:
            stored = dict(await provider.select_all(0, 0))
        finally:
            await provider.close()
        assert burst.created <= set(stored)
        assert all(stored[name].name == "renamed" for name in burst.renamed)
        # Unacknowledged writes may or may not have landed; nothing else appears.
        assert len(set(stored) - burst.created - {"admin"}) <= in_flight_at_kill
