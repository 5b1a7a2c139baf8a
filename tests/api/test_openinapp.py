"""Neko's openinapp plugin: which links are opened, by whom, and with which command and display."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from nekoapi import errors
from nekoapi.plugins.openinapp import CommandLinkOpener
from nekoapi.services import Services
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config
from tests.support.patience import REPLY

URL = "/api/openinapp/openlink"


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    """A stand-in for xdg-open that writes its DISPLAY and arguments to a file."""
    script = tmp_path / "fake-open"
    record = tmp_path / "opened.txt"
    script.write_text(f'#!/bin/sh\nprintf "%s|%s\\n" "$DISPLAY" "$*" >> {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
async def app(recorder: Path) -> AsyncIterator[ApiClient]:
    config = make_config(NEKO_OPENINAPP_ENABLED="true", NEKO_OPENINAPP_OPEN_COMMAND=f"{recorder} --new-window")
    async with api_client(config) as client:
        client.app.services.plugins.openinapp.attach_display(":42")
        yield client


async def open_link(client: ApiClient, who: Login, url: object) -> httpx.Response:
    return await client.post(URL, json={"text": url}, headers=who.bearer)


async def host(client: ApiClient, who: Login) -> None:
    assert (await client.post("/api/room/control/request", headers=who.bearer)).status_code == 204


async def opened(recorder: Path, count: int) -> list[str]:
    record = recorder.parent / "opened.txt"
    deadline = asyncio.get_running_loop().time() + REPLY
    while asyncio.get_running_loop().time() < deadline:  # the command runs in the background
        if record.exists() and len(lines := record.read_text().splitlines()) >= count:
            return lines
        await asyncio.sleep(0.02)
    return record.read_text().splitlines() if record.exists() else []


def assert_refused(response: httpx.Response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, {"message": message, "code": status})


async def test_the_host_opens_a_link_on_the_desktops_display(app: ApiClient, recorder: Path) -> None:
    user = await app.login_user()
    await host(app, user)
    assert (await open_link(app, user, "https://example.com/a?b=c d".replace(" ", "%20"))).status_code == 204
    assert (await open_link(app, user, "HTTP://example.org:8080/")).status_code == 204
    assert await opened(recorder, 2) == [
        ":42|--new-window https://example.com/a?b=c%20d",
        ":42|--new-window HTTP://example.org:8080/",
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "URL must use http or https scheme"),
        ("javascript:alert(1)", "URL must use http or https scheme"),
        ("ftp://example.com/", "URL must use http or https scheme"),
        ("example.com", "URL must use http or https scheme"),
        ("http://", "invalid URL: no host"),
        ("https://exa mple.com/", "invalid URL"),
        ("https://example.com/\n--flag", "invalid URL"),
        ("http://example.com:99999/", "invalid URL"),
    ],
)
async def test_only_http_and_https_links_are_opened(app: ApiClient, recorder: Path, url: str, message: str) -> None:
    admin = await app.login_admin()
    await host(app, admin)
    assert_refused(await open_link(app, admin, url), 400, message)
    # Refused before anything is started: there is nothing to wait for.
    assert not (recorder.parent / "opened.txt").exists()


async def test_a_body_without_a_text_string_is_refused(app: ApiClient) -> None:
    admin = await app.login_admin()
    await host(app, admin)
    assert (await open_link(app, admin, 5)).status_code == 400
    assert (await app.post(URL, json={}, headers=admin.bearer)).status_code == 400


async def test_only_the_host_may_open_links(app: ApiClient, recorder: Path) -> None:
    admin, user = await app.login_admin(), await app.login_user()
    assert_refused(await open_link(app, user, "https://example.com"), 403, "only the host can open links")
    await host(app, admin)
    assert_refused(await open_link(app, user, "https://example.com"), 403, "only the host can open links")
    # With implicit hosting, anyone who may host may open links.
    implicit = {"implicit_hosting": True}
    assert (await app.post("/api/room/settings", json=implicit, headers=admin.bearer)).status_code == 204
    assert (await open_link(app, user, "https://example.com")).status_code == 204
    assert len(await opened(recorder, 1)) == 1


async def test_room_and_profile_switches(app: ApiClient) -> None:
    admin, user = await app.login_admin(), await app.login_user()
    off = {"plugins": {"openinapp.enabled": False}, "implicit_hosting": True}
    assert (await app.post("/api/room/settings", json=off, headers=admin.bearer)).status_code == 204
    assert_refused(await open_link(app, user, "https://example.com"), 403, "openinapp is disabled")
    await host(app, admin)
    assert (await open_link(app, admin, "https://example.com")).status_code == 204  # the room does not bind admins


async def test_switched_off_by_default() -> None:
    async with api_client(make_config()) as client:
        admin = await client.login_admin()
        await host(client, admin)
        assert_refused(await open_link(client, admin, "https://example.com"), 403, "openinapp is disabled")


async def test_with_the_desktop_disabled_it_answers_no_desktop(recorder: Path) -> None:
    async with api_client(make_config(NEKO_OPENINAPP_ENABLED="true")) as client:  # desktop.enabled: false
        admin = await client.login_admin()
        await host(client, admin)
        response = await open_link(client, admin, "https://example.com")
        assert_refused(response, 503, "desktop is not available: desktop.enabled is false")


class FakeDesktop:
    """services.desktop as the plugin sees it: a display while X runs, DesktopUnavailable while it is down."""

    def __init__(self) -> None:
        self.display: str | None = None

    async def require(self) -> None:
        if self.display is None:
            raise errors.DesktopUnavailable("desktop is not available: X display :57 is not running")


async def test_links_open_on_the_desktops_display_only_while_it_is_up(recorder: Path) -> None:
    config = make_config(NEKO_OPENINAPP_ENABLED="true", NEKO_OPENINAPP_OPEN_COMMAND=str(recorder))
    async with api_client(config) as client:
        desktop = client.app.services.plugins.openinapp.desktop = FakeDesktop()
        admin = await client.login_admin()
        await host(client, admin)
        response = await open_link(client, admin, "https://example.com/down")
        assert_refused(response, 503, "desktop is not available: X display :57 is not running")
        desktop.display = ":57"
        assert (await open_link(client, admin, "https://example.com/up")).status_code == 204
        assert await opened(recorder, 1) == [":57|https://example.com/up"]


def test_the_plugin_opens_on_the_services_desktop() -> None:
    services = Services(make_config(NEKO_OPENINAPP_ENABLED="true"))
    assert services.plugins.openinapp.desktop is services.desktop


async def test_a_command_that_cannot_start_is_a_clear_503(app: ApiClient, tmp_path: Path) -> None:
    app.app.services.plugins.openinapp.opener = CommandLinkOpener(str(tmp_path / "missing"))
    admin = await app.login_admin()
    await host(app, admin)
    assert_refused(await open_link(app, admin, "https://example.com"), 503, "the open command could not be started")
