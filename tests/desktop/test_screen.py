"""Screen operations on the real X server: the list, switches read back from X, screenshots."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from Xlib.display import Display

from nekoapi.desktop.xserver import NEKO_MODES, XServer
from nekoapi.events import ScreenChanged

from ..support.client import ApiClient
from ..support.live import EventClient, live_server
from .conftest import desktop_config, input_window

pytestmark = pytest.mark.desktop
SCREEN = "/api/room/screen"


def root_size(d: Display) -> tuple[int, int]:
    geometry = d.screen().root.get_geometry()
    return geometry.width, geometry.height


async def test_the_start_size_is_desktop_screen(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    reply = await desktop.get(SCREEN, headers=admin.bearer)
    assert reply.json() == {"width": 1280, "height": 720, "rate": 30}
    assert root_size(xclient) == (1280, 720)


async def test_the_list_offers_nekos_sizes_with_nekos_rates(desktop: ApiClient, x_server: XServer) -> None:
    admin = await desktop.login_admin()
    sizes = (await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)).json()
    offered = {(s["width"], s["height"], s["rate"]) for s in sizes}
    if x_server.kind == "xorg":
        assert {(m.width, m.height, m.rate) for m in NEKO_MODES} <= offered
    assert all(s["rate"] <= 30 or (s["rate"] <= 60 and s["rate"] % 10 == 0) for s in sizes)
    areas = [s["width"] * s["height"] for s in sizes]
    assert areas == sorted(areas, reverse=True)


async def test_a_switch_is_read_back_from_x_and_announced(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    seen: list[ScreenChanged] = []
    desktop.app.services.bus.subscribe(ScreenChanged, seen.append)
    try:
        reply = await desktop.post(SCREEN, json={"width": 1024, "height": 576, "rate": 30}, headers=admin.bearer)
        assert reply.status_code == 200 and reply.json() == {"width": 1024, "height": 576, "rate": 30}
        assert root_size(xclient) == (1024, 576)
        assert (await desktop.get(SCREEN, headers=admin.bearer)).json() == {"width": 1024, "height": 576, "rate": 30}
        assert seen == [ScreenChanged(1024, 576, 30, admin.id)]
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


async def test_a_missing_size_gets_a_cvt_mode_and_nekos_rounding(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    try:
        body = {"width": 1003, "height": 700, "rate": 0}
        reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
        assert reply.json() == body  # the request, echoed as Neko does
        assert root_size(xclient) == (1000, 700)  # width rounded down to a multiple of 8
        assert (await desktop.get(SCREEN, headers=admin.bearer)).json() == {"width": 1000, "height": 700, "rate": 60}
        sizes = (await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)).json()
        assert {"width": 1000, "height": 700, "rate": 60} in sizes
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


async def test_a_size_x_cannot_show_is_422_and_changes_nothing(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    reply = await desktop.post(SCREEN, json={"width": 16, "height": 16}, headers=admin.bearer)
    assert reply.status_code == 422
    assert reply.json() == {"message": "cannot set screen size", "code": 422}
    assert root_size(xclient) == (1280, 720)


async def test_screen_updated_goes_to_every_session(desktop: ApiClient) -> None:
    admin = await desktop.login_admin()
    sent: list[tuple[str, object]] = []
    desktop.app.services.desktop_messages._send_all = lambda event, payload: sent.append((event, payload))
    try:
        await desktop.post(SCREEN, json={"width": 800, "height": 600, "rate": 60}, headers=admin.bearer)
        assert sent == [("screen/updated", {"id": admin.id, "width": 800, "height": 600, "rate": 60})]
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


COLOURS = {(0, 0): (255, 0, 0), (640, 0): (0, 255, 0), (0, 360): (0, 0, 255), (640, 360): (255, 255, 255)}


def paint(d: Display, window: object) -> None:
    """Four quadrants of known colours on the test window."""
    screen = d.screen()
    for (x, y), (r, g, b) in COLOURS.items():
        gc = window.create_gc(foreground=(r << 16) | (g << 8) | b)  # type: ignore[attr-defined]
        window.fill_rectangle(gc, x, y, 640, 360)  # type: ignore[attr-defined]
    d.sync()
    assert screen.root_depth == 24


async def test_a_screenshot_shows_what_an_x_client_drew(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    with input_window(xclient) as window:
        paint(xclient, window)
        reply = await desktop.get(f"{SCREEN}/shot.jpg", params={"quality": 100}, headers=admin.bearer)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/jpeg"
    assert reply.headers["cache-control"] == "no-cache, no-store, must-revalidate"
    image = Image.open(io.BytesIO(reply.content)).convert("RGB")
    assert image.size == (1280, 720)
    for (x, y), colour in COLOURS.items():
        got = image.getpixel((x + 320, y + 180))
        assert all(abs(a - b) <= 8 for a, b in zip(got, colour, strict=True)), (x, y, got)


async def test_lower_quality_makes_a_smaller_image(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    with input_window(xclient) as window:
        paint(xclient, window)
        for n in range(0, 1280, 40):  # detail for the encoder to throw away
            window.line(window.create_gc(foreground=0x123456), n, 0, 1280 - n, 720)
        xclient.sync()
        best = await desktop.get(f"{SCREEN}/shot.jpg", params={"quality": 100}, headers=admin.bearer)
        worst = await desktop.get(f"{SCREEN}/shot.jpg", params={"quality": -5}, headers=admin.bearer)  # clamped
        default = await desktop.get(f"{SCREEN}/shot.jpg", headers=admin.bearer)
    assert worst.status_code == 200 and len(worst.content) < len(default.content) < len(best.content)


async def test_system_init_and_system_admin_carry_the_real_screen(x_server: XServer) -> None:
    config = desktop_config(x_server, NEKO_DESKTOP_SCREEN="1024x576@30")
    with live_server(config) as server:
        async with ApiClient(base_url=server.http_url) as http:
            admin = await http.login_admin()
        events = await EventClient.connect(server.ws_url(admin.token))
        try:
            init = await events.wait_for("system/init")
            assert init["screen_size"] == {"width": 1024, "height": 576, "rate": 30}
            sizes = (await events.wait_for("system/admin"))["screen_sizes_list"]
            assert {"width": 1920, "height": 1080, "rate": 60} in sizes or x_server.kind == "xvfb"
            await events.send("screen/set", {"width": 800, "height": 600, "rate": 60})
            updated = await events.wait_for("screen/updated")
            assert updated == {"id": admin.id, "width": 800, "height": 600, "rate": 60}
        finally:
            await events.close()
