"""Who may broadcast, and Neko's answers to every wrong start and stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from nekoapi.desktop import screen
from nekoapi.desktop.screen import ScreenSize
from nekoapi.desktop.xconn import open_display
from nekoapi.desktop.xserver import XServer
from nekoapi.media import rtmp
from nekoapi.web.app import create_app
from nekoapi.web.spec import load_spec
from tests.support import patience
from tests.support.client import ApiClient, Login, api_client
from tests.support.display import attach_display
from tests.support.factory import make_config
from tests.support.paint import Painter
from tests.support.rtmp_receiver import RtmpReceiver, free_port

pytestmark = pytest.mark.desktop

STATUS, START, STOP = "/api/room/broadcast", "/api/room/broadcast/start", "/api/room/broadcast/stop"


@pytest.fixture(autouse=True)
def patient_rtmp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's receiver (an ffmpeg) may take longer than the shipped 10 s to take a stream on a loaded machine."""
    monkeypatch.setattr(rtmp, "CONNECT_TIMEOUT", patience.START)


@pytest.fixture
async def desktop_client(x_server: XServer) -> AsyncIterator[ApiClient]:
    async with api_client(make_config(NEKO_CAPTURE_BROADCAST_FPS="10")) as client:
        attach_display(client.app.services, x_server.display)
        yield client


@pytest.fixture
async def admin(desktop_client: ApiClient) -> Login:
    return await desktop_client.login_admin()


def error(message: str, code: int) -> dict[str, object]:
    return {"message": message, "code": code}


@pytest.mark.parametrize(("method", "path"), [("GET", STATUS), ("POST", START), ("POST", STOP)])
async def test_only_administrators_may_touch_the_broadcast(desktop_client: ApiClient, method: str, path: str) -> None:
    user = await desktop_client.login_user()
    response = await desktop_client.request(method, path, json={"url": "rtmp://127.0.0.1/x"}, headers=user.bearer)
    assert response.status_code == 403
    assert response.json() == error("only administrators may do this", 403)
    assert desktop_client.app.services.broadcast.is_active is False


async def test_status_before_any_broadcast_has_no_url(desktop_client: ApiClient, admin: Login) -> None:
    assert (await desktop_client.get(STATUS, headers=admin.bearer)).json() == {"is_active": False}


# The spec requires an rtmp:// or rtmps:// url, so schema-valid bodies are never refused for it;
# the message names the field, never the URL (it usually carries a stream key).
@pytest.mark.parametrize("body", [{}, {"url": ""}, {"is_active": True}])
async def test_a_start_without_url_is_400(desktop_client: ApiClient, admin: Login, body: dict[str, object]) -> None:
    response = await desktop_client.post(START, json=body, headers=admin.bearer)
    assert (response.status_code, response.json()["code"]) == (400, 400)
    assert "url" in response.json()["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/live",
        "/tmp/out.flv",
        "file:///etc/passwd-key",
        "rtmp://",  # no host
        "rtmp://host/live key",  # a space
        "rtmp://host/live\nkey",  # a control character
        "rtmps://h\u00f4te/live/key",  # not ASCII: percent-encoded or punycode instead
        "rtmps://x\U000c224c[/key",  # a private-use character
    ],
)
async def test_a_start_to_something_not_rtmp_is_400(desktop_client: ApiClient, admin: Login, url: str) -> None:
    response = await desktop_client.post(START, json={"url": url}, headers=admin.bearer)
    assert (response.status_code, response.json()["code"]) == (400, 400)
    assert url not in response.json()["message"]
    assert "url" in response.json()["message"]


def test_the_spec_requires_an_rtmp_url() -> None:
    schema = load_spec(make_config())["components"]["schemas"]["BroadcastStart"]
    assert schema["required"] == ["url"]
    assert schema["properties"]["url"]["pattern"] == "^rtmps?://[!-.0-~][!-~]*$"  # a host, printable ASCII


async def test_a_start_without_body_is_400(desktop_client: ApiClient, admin: Login) -> None:
    response = await desktop_client.post(START, headers=admin.bearer)
    assert response.status_code == 400


async def test_stop_while_not_broadcasting_is_a_409_conflict(desktop_client: ApiClient, admin: Login) -> None:
    response = await desktop_client.post(STOP, headers=admin.bearer)
    assert (response.status_code, response.json()) == (409, error("server is not broadcasting", 409))


async def test_a_second_start_is_a_409_conflict_and_keeps_the_first(
    desktop_client: ApiClient, admin: Login, x_server: XServer, tmp_path: Path
) -> None:
    painter = Painter(x_server.display)
    receiver = RtmpReceiver(tmp_path)
    try:
        assert (await desktop_client.post(START, json={"url": receiver.url}, headers=admin.bearer)).status_code == 204
        other = {"url": "rtmp://127.0.0.1:1/live/other"}
        response = await desktop_client.post(START, json=other, headers=admin.bearer)
        assert (response.status_code, response.json()) == (409, error("server is already broadcasting", 409))
        status = await desktop_client.get(STATUS, headers=admin.bearer)
        assert status.json() == {"is_active": True, "url": receiver.url}
        assert (await desktop_client.post(STOP, headers=admin.bearer)).status_code == 204
        assert receiver.finished() == 0
    finally:
        painter.close()


async def test_without_a_display_start_is_503() -> None:
    async with api_client(make_config()) as client:  # no desktop: create_app starts no X server
        admin = await client.login_admin()
        response = await client.post(START, json={"url": "rtmp://127.0.0.1:1/live/x"}, headers=admin.bearer)
        assert (response.status_code, response.json()) == (503, error("desktop is not available", 503))
        assert (await client.get(STATUS, headers=admin.bearer)).json() == {"is_active": False}


async def test_a_configured_url_shows_in_the_status_without_autostart(admin: Login) -> None:
    config = make_config(NEKO_CAPTURE_BROADCAST_URL="rtmp://127.0.0.1:1/live/key", NEKO_CAPTURE_BROADCAST_AUTOSTART="0")
    async with api_client(config) as client:
        login = await client.login_admin()
        status = await client.get(STATUS, headers=login.bearer)
        assert status.json() == {"is_active": False, "url": "rtmp://127.0.0.1:1/live/key"}


async def test_autostart_broadcasts_from_the_start(x_server: XServer, tmp_path: Path) -> None:
    receiver = RtmpReceiver(tmp_path)
    app = create_app(make_config(NEKO_CAPTURE_BROADCAST_URL=receiver.url, NEKO_CAPTURE_BROADCAST_FPS="10"))
    attach_display(app.services, x_server.display)
    async with LifespanManager(app, startup_timeout=patience.START, shutdown_timeout=patience.STOP):
        assert app.services.broadcast.status() == {"is_active": True, "url": receiver.url}
    assert receiver.finished() == 0  # shutdown ended the stream properly
    assert receiver.frames()


async def test_a_failed_autostart_leaves_the_server_up_and_inactive(
    x_server: XServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"rtmp://127.0.0.1:{free_port()}/live/secret-key"
    app = create_app(make_config(NEKO_CAPTURE_BROADCAST_URL=url))
    attach_display(app.services, x_server.display)
    with caplog.at_level("ERROR", logger="nekoapi.media.broadcast"):
        async with LifespanManager(app, startup_timeout=patience.START, shutdown_timeout=patience.STOP):
            assert app.services.broadcast.status() == {"is_active": False, "url": url}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "could not start: connection refused" in logged
    assert "secret-key" not in logged  # the stream key stays out of the logs


async def test_a_screen_switch_reconnects_at_the_new_size(
    desktop_client: ApiClient, admin: Login, x_server: XServer, tmp_path: Path
) -> None:
    if x_server.kind != "xorg":
        pytest.skip("Xvfb cannot switch sizes (the X server fell back to Xvfb)")
    before = await asyncio.to_thread(_screen_of, x_server.display, None)
    painter = Painter(x_server.display)
    first = RtmpReceiver(tmp_path, name="first")
    try:
        assert (await desktop_client.post(START, json={"url": first.url}, headers=admin.bearer)).status_code == 204
        await asyncio.sleep(0.5)
        await asyncio.to_thread(_screen_of, x_server.display, ScreenSize(1024, 576, 30))
        assert await asyncio.to_thread(first.finished) == 0  # the first stream ended cleanly
        second = RtmpReceiver(tmp_path, port=first.port, name="second")  # the push reconnects here
        await asyncio.to_thread(second.receiving)
        assert (await desktop_client.get(STATUS, headers=admin.bearer)).json()["is_active"] is True
        assert (await desktop_client.post(STOP, headers=admin.bearer)).status_code == 204
        assert await asyncio.to_thread(second.finished) == 0
    finally:
        painter.close()
        await asyncio.to_thread(_screen_of, x_server.display, before)
    assert {(f.width, f.height) for f in first.frames()} == {(before.width, before.height)}
    assert {(f.width, f.height) for f in second.frames()} == {(1024, 576)}


def _screen_of(display: str, wanted: ScreenSize | None) -> ScreenSize:
    """The current size, after switching to ``wanted`` if given."""
    d = open_display(display)
    try:
        return screen.change(d, wanted) if wanted is not None else screen.current(d)
    finally:
        d.close()
