"""aiortc viewers on a real server and a real X display: the room's video over WebRTC."""

from __future__ import annotations

import asyncio
import json
import time

from nekoapi.media.pulse import PulseServer
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

from .client import Viewer
from .conftest import Join
from .desktop import Painter, animate
from .server import media_server


def centre_rgb(frame: object) -> tuple[int, int, int]:
    pixels = frame.to_ndarray(format="rgb24")  # type: ignore[attr-defined]
    h, w, _ = pixels.shape
    r, g, b = pixels[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].reshape(-1, 3).mean(axis=0)
    return int(r), int(g), int(b)


async def frame_with(viewer: Viewer, rgb: tuple[int, int, int], timeout: float = REPLY) -> object:
    deadline = time.monotonic() + timeout
    while True:
        frame = await viewer.frame()
        seen = centre_rgb(frame)
        if max(abs(a - b) for a, b in zip(seen, rgb, strict=True)) <= 12:
            return frame
        if time.monotonic() > deadline:
            raise AssertionError(f"the viewer sees {seen}, the desktop shows {rgb}")


async def test_provide_follows_neko_shape(viewer: Viewer) -> None:
    await viewer.watch()
    provide = viewer.provide
    assert provide["iceservers"] == []  # no public STUN unless configured
    assert provide["video"] == {"disabled": False, "id": "main", "video": "main", "auto": False}
    assert provide["audio"] == {"disabled": False}
    assert "a=msid:stream video" in provide["sdp"] and "VP8/90000" in provide["sdp"]
    assert "H264" not in provide["sdp"]  # exactly one video codec is offered


async def test_h264_is_offered_alone_and_shows_the_desktop(
    media_display: str, pulse: PulseServer, painter: Painter
) -> None:
    painter.fill((200, 120, 30))
    with media_server(media_display, pulse, NEKO_CAPTURE_VIDEO_CODEC="h264") as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch({"audio": {"disabled": True}})
            assert "H264/90000" in client.provide["sdp"] and "VP8" not in client.provide["sdp"]
            frame = await frame_with(client, (200, 120, 30))
            assert (frame.width, frame.height) == (1280, 720)  # type: ignore[attr-defined]
            painter.fill((30, 90, 210))
            await frame_with(client, (30, 90, 210))
        finally:
            await client.close()


async def test_frames_arrive_at_screen_size_and_fps_with_the_desktops_pixels(viewer: Viewer, painter: Painter) -> None:
    painter.fill((200, 30, 60))
    await viewer.watch()
    first = await frame_with(viewer, (200, 30, 60))
    assert (first.width, first.height) == (1280, 720)  # type: ignore[attr-defined]
    painter.fill((20, 180, 90))
    await frame_with(viewer, (20, 180, 90))
    animating = asyncio.create_task(animate(painter, 60))  # changes faster than the rung's fps
    try:
        started, count = time.monotonic(), 0
        while time.monotonic() - started < 2.0:
            await viewer.frame()
            count += 1
        fps = count / (time.monotonic() - started)
    finally:
        animating.cancel()
    # The rung asks for 25: no more, however fast the screen changes. The floor is low: the painter, the
    # server and the decoding viewer share this process, and at a load average of 20 they got 17.8.
    assert 12 <= fps <= 30, fps


async def test_a_60_fps_rung_sends_more_than_25_frames_a_second_of_a_busy_screen(
    media_display: str, pulse: PulseServer, painter: Painter
) -> None:
    pipelines = json.dumps({"fast": {"width": 320, "height": 180, "fps": 60, "bitrate": 500}})
    with media_server(
        media_display, pulse, NEKO_CAPTURE_VIDEO_IDS="fast", NEKO_CAPTURE_VIDEO_PIPELINES=pipelines
    ) as server:
        client = Viewer(server.http_url, server.ws_url())
        animating = asyncio.create_task(animate(painter, 120))
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch({"audio": {"disabled": True}})
            assert (await client.frame()).width == 320  # type: ignore[attr-defined]
            started, count = time.monotonic(), 0
            while time.monotonic() - started < 2.0:
                await client.frame()
                count += 1
            fps = count / (time.monotonic() - started)
            print(f"60 fps rung: {fps:.1f} frames/s")
            assert 27 < fps <= 64, fps  # more than a 25 fps rung could send, at most its own 60
        finally:
            animating.cancel()
            await client.close()


async def test_an_idle_desktop_costs_no_frames_and_a_change_is_sent_at_once(
    viewer: Viewer, painter: Painter, media_server: LiveServer
) -> None:
    painter.fill((90, 90, 90))
    await viewer.watch({"audio": {"disabled": True}})
    await frame_with(viewer, (90, 90, 90))
    assert await viewer.falls_silent("video", quiet=1.0), "frames kept coming from a screen that did not change"
    stage = media_server.app.services.media.stages.video("main")
    encoded = stage.frames
    await asyncio.sleep(1.0)
    assert stage.frames == encoded, "the idle screen was encoded"
    painter.fill((10, 200, 200))
    await frame_with(viewer, (10, 200, 200))
    assert stage.frames > encoded


async def test_video_switches_between_ladder_ids(viewer: Viewer, painter: Painter) -> None:
    painter.fill((40, 40, 220))
    await viewer.watch()
    assert (await frame_with(viewer, (40, 40, 220))).width == 1280  # type: ignore[attr-defined]
    assert viewer.ws is not None
    await viewer.ws.send("signal/video", {"selector": {"type": "lower", "id": "main"}})
    assert (await viewer.ws.wait_for("signal/video"))["id"] == "low"
    deadline = time.monotonic() + REPLY
    while (await viewer.frame()).width != 640:
        assert time.monotonic() < deadline, "never switched to the low rung"
    await viewer.ws.send("signal/video", {"selector": {"type": "exact", "id": "main"}})
    assert (await viewer.ws.wait_for("signal/video"))["id"] == "main"
    while (await viewer.frame()).width != 1280:
        assert time.monotonic() < deadline + REPLY, "never switched back"


async def test_a_stage_nobody_listens_to_stops(viewer: Viewer, media_server: LiveServer) -> None:
    await viewer.watch()
    await viewer.frame()
    stages = media_server.app.services.media.stages
    assert stages.running() == {"main": True}
    assert viewer.ws is not None
    await viewer.ws.send("signal/video", {"selector": {"type": "exact", "id": "low"}})
    await viewer.ws.wait_for("signal/video", id="low")
    await asyncio.sleep(0.2)
    assert stages.running() == {"main": False, "low": True}


async def test_an_unknown_selector_changes_nothing(viewer: Viewer) -> None:
    await viewer.watch()
    assert viewer.ws is not None
    await viewer.ws.send("signal/video", {"selector": {"type": "exact", "id": "nope"}})
    await viewer.ws.send("signal/video", {"disabled": True})
    assert (await viewer.ws.wait_for("signal/video")) == {
        "disabled": True,
        "id": "main",
        "video": "main",
        "auto": False,
    }


async def test_signal_video_disabled_stops_the_frames_and_enabling_brings_them_back(
    viewer: Viewer, painter: Painter
) -> None:
    await viewer.watch({"audio": {"disabled": True}})
    assert viewer.ws is not None
    await viewer.frame()
    await viewer.ws.send("signal/video", {"disabled": True})
    assert (await viewer.ws.wait_for("signal/video"))["disabled"] is True
    assert await viewer.falls_silent("video"), "video frames kept coming"
    painter.fill((40, 200, 90))
    await viewer.ws.send("signal/video", {"disabled": False})
    assert (await viewer.ws.wait_for("signal/video"))["disabled"] is False
    frame = await frame_with(viewer, (40, 200, 90))
    assert frame.width == 1280  # type: ignore[attr-defined]


async def test_viewers_share_one_encoder(join: Join, media_server: LiveServer, painter: Painter) -> None:
    viewers = [await join(f"v{index}") for index in range(3)]
    for client in viewers:
        await client.watch()
    painter.fill((250, 250, 0))
    for client in viewers:
        await frame_with(client, (250, 250, 0))
    stages = media_server.app.services.media.stages
    assert stages.video("main").listeners == 3
    assert list(stages.running()) == ["main"]
