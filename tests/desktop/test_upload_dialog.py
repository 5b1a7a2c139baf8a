"""uploadDialog / uploadDialogClose with Chromium's GTK file chooser, and the dialog's WebSocket events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.patience import REPLY

from .io_support import chromium, click, desktop_client, host, io_display, wait_for_title, window_titles  # noqa: F401

pytestmark = pytest.mark.desktop
DIALOG = "/api/room/upload/dialog"
PAGE = Path(__file__).parent / "pages" / "pick.html"
OPENED, CLOSED = "file_chooser_dialog/opened", "file_chooser_dialog/closed"


@pytest.fixture
def live(io_display: str) -> Iterator[LiveServer]:  # noqa: F811
    with live_server(
        make_config(NEKO_DESKTOP_FILE_CHOOSER_DIALOG="true"), overrides={"desktop_display": lambda: io_display}
    ) as server:
        yield server


@pytest.fixture
def page(io_display: str) -> Iterator[str]:  # noqa: F811
    with chromium(io_display, PAGE) as browser:
        wait_for_title(browser.display, "pick-ready")
        yield io_display


async def connect(server: LiveServer, token: str) -> EventClient:
    events = await EventClient.connect(server.ws_url(token))
    await events.wait_for("system/init")
    return events


def dialog_open(display: str) -> bool:
    return any(title.startswith("Open File") for title in window_titles(display))


async def wait_until(condition: object, timeout: float = REPLY) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_the_chooser_is_filled_with_the_uploads(live: LiveServer, page: str) -> None:
    async with ApiClient(base_url=live.http_url, timeout=30) as http:
        me = await host(http)
        events = await connect(live, me.token)
        try:
            click(page, 400, 300)
            assert await events.wait_for(OPENED, timeout=REPLY) == {"id": me.id}
            files = [("files", ("a.txt", b"one")), ("files", ("b c.bin", b"x" * 5000))]
            response = await http.post(DIALOG, files=files, headers=me.bearer)
            assert response.status_code == 204, response.text
            assert wait_for_title(page, "picked:", 10) == "picked:a.txt=3,b c.bin=5000"
            assert await events.wait_for(CLOSED, timeout=REPLY) == {"id": ""}
        finally:
            await events.close()


async def test_a_late_session_hears_it_is_open_and_the_host_closes_it(live: LiveServer, page: str) -> None:
    async with ApiClient(base_url=live.http_url, timeout=30) as http:
        me = await host(http)
        events = await connect(live, me.token)
        try:
            click(page, 400, 300)
            await events.wait_for(OPENED, timeout=REPLY)
            late = await http.login_admin("late")
            late_events = await EventClient.connect(live.ws_url(late.token))
            assert (await late_events.next())["event"] == "system/init"
            assert await late_events.wait_for(OPENED, timeout=REPLY) == {"id": me.id}
            response = await http.delete(DIALOG, headers=me.bearer)
            assert response.status_code == 204
            assert await late_events.wait_for(CLOSED, timeout=REPLY) == {"id": ""}
            assert not dialog_open(page)
            assert window_titles(page).count("pick-ready") == 1  # nothing was chosen
            again = await http.delete(DIALOG, headers=me.bearer)
            assert (again.status_code, again.json()["message"]) == (409, "file chooser dialog is not open")
            await late_events.close()
        finally:
            await events.close()


async def test_the_dialog_closes_when_its_owner_leaves(live: LiveServer, page: str) -> None:
    async with ApiClient(base_url=live.http_url, timeout=30) as http:
        me = await host(http)
        watcher = await http.login_admin("watcher")
        events, watching = await connect(live, me.token), await connect(live, watcher.token)
        click(page, 400, 300)
        await watching.wait_for(OPENED, timeout=REPLY)
        await events.close()
        assert await watching.wait_for(CLOSED, timeout=REPLY) == {"id": ""}
        await watching.close()
        assert not dialog_open(page)


async def test_with_nobody_hosting_the_dialog_is_closed_unannounced(live: LiveServer, page: str) -> None:
    async with ApiClient(base_url=live.http_url, timeout=30) as http:
        viewer = await http.login_admin("viewer")
        events = await connect(live, viewer.token)
        try:
            click(page, 400, 300)
            await wait_until(lambda: not dialog_open(page) and live.app.services.uploads.dialog_owner is None, 15)
            await asyncio.sleep(1.0)
            assert not dialog_open(page)
            assert all(m["event"] != OPENED for m in events.seen)
        finally:
            await events.close()


async def test_without_an_open_dialog_it_is_409(live: LiveServer) -> None:
    async with ApiClient(base_url=live.http_url, timeout=30) as http:
        me = await host(http)
        response = await http.post(DIALOG, files=[("files", ("a", b"1"))], headers=me.bearer)
        assert (response.status_code, response.json()["message"]) == (409, "file chooser dialog is not open")
        nothing = await http.post(DIALOG, files=[("other", ("a", b"1"))], headers=me.bearer)
        assert (nothing.status_code, nothing.json()["message"]) == (400, "no files received")


async def test_the_dialog_is_off_by_default(io_display: str) -> None:  # noqa: F811
    async with desktop_client(make_config(), io_display) as off:
        me = await host(off)
        filled = await off.post(DIALOG, files=[("files", ("a", b"1"))], headers=me.bearer)
        closed = await off.delete(DIALOG, headers=me.bearer)
        for response in (filled, closed):
            assert (response.status_code, response.json()["message"]) == (409, "file chooser dialog is disabled")
