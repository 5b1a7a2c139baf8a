"""The video capture survives what the desktop does to it: a burst of screen changes, a stage that dies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from nekoapi.desktop.xserver import XServer
from nekoapi.media import video
from nekoapi.media.pulse import PulseServer
from nekoapi.media.xcapture import ScreenCapture
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server
from tests.support.patience import REPLY

from .client import Viewer
from .desktop import Painter
from .test_webrtc_video import frame_with

# The attacker's sequence: every size the X server accepts, then back to where the suite expects it.
BURST = [(1920, 1080), (640, 480), (1280, 720), (4096, 2160), (800, 600)] * 8 + [(1280, 720)]


@pytest.fixture
def desktop_server(x_server: XServer, pulse: PulseServer) -> Iterator[LiveServer]:
    config = make_config(
        NEKO_DESKTOP_ENABLED="true",
        NEKO_DESKTOP_DISPLAY=x_server.display,
        NEKO_DESKTOP_APP="",
        NEKO_CAPTURE_PULSE_SERVER=pulse.server,
    )
    with live_server(config) as server:
        yield server


async def _admin_token(server: LiveServer) -> str:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        reply = await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        reply.raise_for_status()
        return str(reply.json()["token"])


async def test_a_burst_of_screen_changes_leaves_the_video_running(
    desktop_server: LiveServer, x_server: XServer
) -> None:
    if x_server.kind != "xorg":
        pytest.skip("Xvfb cannot switch sizes (the X server fell back to Xvfb)")
    viewer = Viewer(desktop_server.http_url, desktop_server.ws_url())
    token = await _admin_token(desktop_server)
    try:
        await viewer.login("alice", USER_PASSWORD)
        await viewer.watch({"audio": {"disabled": True}})
        await viewer.frame()
        async with httpx.AsyncClient(
            base_url=desktop_server.http_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            statuses = []
            for width, height in BURST:
                reply = await http.post("/api/room/screen", json={"width": width, "height": height, "rate": 30})
                statuses.append(reply.status_code)
                await asyncio.sleep(0.02)
            last_change = time.monotonic()
            assert set(statuses) <= {200, 422} and statuses.count(200) >= len(BURST) // 2, statuses
            # What the screen shows after the burst must reach the viewer, at the final size.
            painter = Painter(x_server.display)
            try:
                painter.fill((220, 40, 40))
                frame = await frame_with(viewer, (220, 40, 40), timeout=REPLY)
                again = time.monotonic() - last_change
                assert (frame.width, frame.height) == (1280, 720)  # type: ignore[attr-defined]
                painter.fill((40, 40, 220))  # and it keeps following the desktop
                await frame_with(viewer, (40, 40, 220), timeout=REPLY)
            finally:
                painter.close()
            print(f"{statuses.count(200)} screen changes; the desktop on screen again {1000 * again:.0f} ms later")
            assert (await http.get("/health")).status_code == 200
    finally:
        await viewer.close()


async def test_a_capture_that_cannot_run_shows_in_health(pulse: PulseServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The desktop is off, so its health is not in the way; every start of the video stage finds a
    # display that does not exist.
    monkeypatch.setattr(video, "ScreenCapture", lambda display: ScreenCapture(":4093"))
    config = make_config(NEKO_CAPTURE_PULSE_SERVER=pulse.server)
    with live_server(config) as server:
        viewer = Viewer(server.http_url, server.ws_url())
        try:
            await viewer.login("alice", USER_PASSWORD)
            await viewer.watch({"audio": {"disabled": True}})
            async with httpx.AsyncClient(base_url=server.http_url) as http:
                deadline = time.monotonic() + REPLY
                while (reply := await http.get("/health")).status_code == 200:
                    assert time.monotonic() < deadline, "/health kept saying true"
                    await asyncio.sleep(0.25)
                assert reply.status_code == 503
                assert "video capture main is failing" in reply.json()["message"]
                stage = server.app.services.media.stages.video("main")
                assert stage.restarts >= 2  # started again, with a pause that grows
        finally:
            await viewer.close()
        # Nobody watching: nothing to report.
        deadline = time.monotonic() + REPLY
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            while (await http.get("/health")).status_code != 200:
                assert time.monotonic() < deadline, "/health stayed 503 after the viewer left"
                await asyncio.sleep(0.25)
