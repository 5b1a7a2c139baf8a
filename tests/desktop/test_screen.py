"""Screen operations on the real X server: the list, switches read back from X, screenshots."""

from __future__ import annotations

import io

import orjson
import pytest
from PIL import Image
from Xlib.display import Display

from nekoapi.desktop.xserver import NEKO_MODES, XServer
from nekoapi.events import ScreenChanged
from nekoapi.ws import protocol

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


async def test_a_size_outside_the_spec_is_400_and_changes_nothing(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    for body in ({"width": 16, "height": 16}, {"width": 1, "height": 1, "rate": 999}, {"width": 800, "height": 63}):
        reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
        assert reply.status_code == 400, (body, reply.text)
    assert root_size(xclient) == (1280, 720)


# The corners of what the spec allows (schemathesis's boundary values): every one switches. A tiny
# size at a low rate used to get a CVT pixel clock of 0 (below one 0.25 MHz step) and a 422.
SPEC_CORNERS = [
    (64, 64, 1),
    (64, 64, 30),
    (64, 64, 144),
    (4096, 4096, 1),
    (4096, 4096, 144),
    (64, 4096, 0),
    (4096, 64, 144),
]


@pytest.mark.parametrize(("width", "height", "rate"), SPEC_CORNERS)
async def test_every_corner_of_the_spec_switches(
    desktop: ApiClient, xclient: Display, x_server: XServer, width: int, height: int, rate: int
) -> None:
    if x_server.kind == "xvfb":
        pytest.skip("Xvfb cannot grow past its start size")
    admin = await desktop.login_admin()
    try:
        body = {"width": width, "height": height, "rate": rate}
        reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
        assert reply.status_code == 200, (body, reply.text)
        assert reply.json() == body
        assert root_size(xclient) == (width, height)
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


async def test_a_size_whose_cvt_rate_is_off_can_be_asked_for_again(
    desktop: ApiClient, xclient: Display, x_server: XServer
) -> None:
    # 64x64 at 60 Hz comes out at about 47 Hz, so the mode made for it is not found by its rate: the
    # second switch made it again, and X refused the name it already had (BadName, a 422).
    if x_server.kind == "xvfb":
        pytest.skip("Xvfb cannot switch sizes")
    admin = await desktop.login_admin()
    try:
        for body in ({"width": 64, "height": 64}, {"width": 800, "height": 600}, {"width": 64, "height": 64}):
            for _ in range(2):
                reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
                assert reply.status_code == 200, (body, reply.text)
                assert root_size(xclient) == (body["width"], body["height"])
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


async def test_unknown_fields_of_a_switch_are_ignored_and_not_echoed(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    try:
        body = {"width": 800, "height": 600, "rate": 60, "depth": 24, "name": "x"}
        reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"width": 800, "height": 600, "rate": 60}
        assert root_size(xclient) == (800, 600)
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)


# Sizes a fuzzer picks: widths that round down to 0, taller than the screen can be, the largest the
# spec allows, odd rates, and many sizes X has no mode for (each switch adds one).
ODD_SIZES = [
    (5, 720, 30),
    (1920, 2339, 60),
    (4096, 4096, 60),
    (7, 7, 0),
    (1000, 701, 50),
    (1920, 1080, 1000),
    (16, 16, 1),
    *((640 + 8 * k, 480 + k, 30) for k in range(20)),
]


def valid(size: dict[str, int], limit: tuple[int, int]) -> bool:
    """A size the spec's ScreenConfiguration allows and the screen can show."""
    return 1 <= size["width"] <= min(4096, limit[0]) and 1 <= size["height"] <= min(4096, limit[1])


async def test_the_list_offers_only_valid_sizes_and_does_not_grow(desktop: ApiClient, xclient: Display) -> None:
    admin = await desktop.login_admin()
    limit = xclient.screen().root.xrandr_get_screen_size_range()
    largest = (limit.max_width, limit.max_height)
    before = (await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)).json()
    try:
        for width, height, rate in ODD_SIZES:
            body = {"width": width, "height": height, "rate": rate}
            reply = await desktop.post(SCREEN, json=body, headers=admin.bearer)
            assert reply.status_code in (200, 400, 422), reply.text
            listed = await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)
            assert listed.status_code == 200, (body, listed.text)  # the server checks its answers against the spec
            sizes = listed.json()
            assert all(valid(s, largest) for s in sizes), (body, [s for s in sizes if not valid(s, largest)])
        # Only the size shown now may be one a switch added.
        after = (await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)).json()
        assert len(after) <= len(before) + 1, [s for s in after if s not in before]
    finally:
        await desktop.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)
    assert (await desktop.get(f"{SCREEN}/configurations", headers=admin.bearer)).json() == before


class RecordingPeer:
    """A ``types.Peer`` that keeps the messages framed for it (``system/init``, sent in parts, aside)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, object]] = []

    def send(self, event: str, payload: object) -> None:
        self.received.append((event, payload))

    def send_frame(self, frame: bytes | tuple[bytes, ...]) -> None:
        if isinstance(frame, bytes):
            message = orjson.loads(protocol.frame_text(frame))
            self.received.append((message["event"], message["payload"]))

    def destroy(self, reason: str) -> None:
        self.received.append(("system/disconnect", {"message": reason}))


async def test_screen_updated_goes_to_every_session(desktop: ApiClient) -> None:
    admin, user = await desktop.login_admin(), await desktop.login_user()
    sessions = desktop.app.services.sessions
    peers = {who.id: RecordingPeer() for who in (admin, user)}
    for session_id, peer in peers.items():
        assert sessions.connect(sessions.get(session_id), peer)
    try:
        await desktop.post(SCREEN, json={"width": 800, "height": 600, "rate": 60}, headers=admin.bearer)
        updated = ("screen/updated", {"id": admin.id, "width": 800, "height": 600, "rate": 60})
        for peer in peers.values():
            assert [m for m in peer.received if m[0] == "screen/updated"] == [updated]
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
