"""Puppeteer's ``connect({browserWSEndpoint})``, unchanged, drives the room's browser through nekoapi.

puppeteer-core is pinned by tests/desktop/puppeteer/package-lock.json and installed on first use into
its node_modules (gitignored). Without node or the npm registry the test is skipped, except under
CI=true, where it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nekoapi.desktop.xserver import XServer

from ..support.ci import unavailable
from .cdp_support import browser_room, login, shows

pytestmark = pytest.mark.desktop

TOOLS = Path(__file__).with_name("puppeteer")
MAGENTA = (200, 40, 160)


def puppeteer_installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed for the Puppeteer check")
    stamp = TOOLS / "node_modules" / ".installed"
    if stamp.exists():
        return
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOLS, capture_output=True, text=True, timeout=300
    )
    if installed.returncode != 0:
        if subprocess.run(["npm", "ping"], cwd=TOOLS, capture_output=True, timeout=30).returncode != 0:
            unavailable("the npm registry is unreachable")
        pytest.fail("npm ci failed:\n" + installed.stdout + installed.stderr)
    stamp.touch()


async def test_puppeteer_connects_and_navigates_the_rooms_browser(x_server: XServer, tmp_path: Path) -> None:
    puppeteer_installed()
    with browser_room(x_server, tmp_path / "profile") as room:
        bot = login(room, "bot")
        endpoint = f"ws://127.0.0.1:{room.port}/api/room/cdp?token={bot['token']}"
        ran = subprocess.run(["node", "connect.mjs", endpoint], cwd=TOOLS, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stderr
        result = json.loads(ran.stdout.strip().splitlines()[-1])
        assert result["title"] == "from puppeteer" and result["version"].startswith("Chrome/")
        await shows(room, bot["token"], MAGENTA)  # on the screen every viewer sees
