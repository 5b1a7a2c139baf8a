"""The room's app plays into the PulseAudio the media capture from: PULSE_SERVER in its environment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nekoapi.config import Config
from nekoapi.desktop.xserver import XServer
from nekoapi.services import Services
from tests.support.client import api_client
from tests.support.factory import make_config

pytestmark = pytest.mark.desktop


def room_with_app(x_server: XServer, app: str, **env: str) -> Config:
    assert x_server.display is not None
    return make_config(NEKO_DESKTOP_ENABLED="true", NEKO_DESKTOP_DISPLAY=x_server.display, NEKO_DESKTOP_APP=app, **env)


async def app_environment(services: Services, timeout: float = 30.0) -> dict[str, str]:
    """The environment the app process was started with (/proc/<pid>/environ)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while services.desktop.app.process is None:
        assert asyncio.get_running_loop().time() < deadline, "the app did not start"
        await asyncio.sleep(0.05)
    raw = Path(f"/proc/{services.desktop.app.process.pid}/environ").read_bytes()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Chromium is not installed")
async def test_chromium_plays_into_the_pulseaudio_nekoapi_started(x_server: XServer, tmp_path: Path) -> None:
    async with api_client(room_with_app(x_server, "/usr/bin/chromium", NEKO_DESKTOP_PROFILE=str(tmp_path))) as client:
        services = client.app.services
        environment = await app_environment(services)
        own = services.audio_server.own_server
        assert own is not None and own.startswith("unix:")
        assert environment["PULSE_SERVER"] == own
        assert environment["DISPLAY"] == x_server.display


async def test_a_configured_pulseaudio_server_is_the_apps(x_server: XServer, tmp_path: Path) -> None:
    server = f"unix:{tmp_path / 'pulse' / 'native'}"
    async with api_client(room_with_app(x_server, "/bin/sleep 60", NEKO_CAPTURE_PULSE_SERVER=server)) as client:
        services = client.app.services
        assert (await app_environment(services))["PULSE_SERVER"] == server
        assert services.audio_server.own_server is None  # nekoapi started none of its own
