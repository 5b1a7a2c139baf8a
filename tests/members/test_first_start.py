"""``nekoapi serve`` with no configuration at all: SQLite in ./data and a usable admin login."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.patience import START, STOP

from ..support import stores
from .test_durability import free_port


def test_serve_without_configuration_prints_an_admin_password_that_logs_in(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_")}
    env["NEKO_SERVER_BIND"] = f"127.0.0.1:{port}"  # the only settings: tests must not take port 8080,
    env["NEKO_DESKTOP_ENABLED"] = "false"  # nor start an X server (tests/desktop/ does that)
    process = subprocess.Popen(
        [sys.executable, "-m", "nekoapi", "serve"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + START
        while not any("Application startup complete" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stderr.readline())
        shown = re.search(r"created member 'admin' with password (\S+)", "".join(lines))
        assert shown is not None, "".join(lines)
        login = httpx.post(f"http://127.0.0.1:{port}/api/login", json={"username": "admin", "password": shown[1]})
        assert login.status_code == 200
        assert login.json()["profile"]["is_admin"] is True
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=STOP)[1]
    assert (tmp_path / "data" / "nekoapi.db").is_file()
    assert shown[1] not in rest  # printed once, at creation only


def test_unreachable_services_skip_locally_and_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        stores.require_service("PostgreSQL", closed)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        stores.require_service("PostgreSQL", closed)
