"""The room's Chromium driven over CDP through nekoapi (Playwright, unchanged), and the human hand-over.

One server for the module: its desktop is the session's X server, showing Debian's Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from playwright.async_api import Error as PlaywrightError

from nekoapi.desktop.xserver import XServer

from ..support.live import EventClient, LiveServer
from .cdp_support import agent, bearer, browser_room, first_page, login, shows

pytestmark = pytest.mark.desktop

GREEN = (20, 200, 60)
CLICKS_PAGE = (
    "data:text/html,<title>clicks</title><body style='margin:0'>"
    "<button id=b style='width:100vw;height:100vh' onclick='this.dataset.n=(+this.dataset.n||0)+1'>click</button>"
)


@pytest.fixture(scope="module")
def room(x_server: XServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with browser_room(x_server, tmp_path_factory.mktemp("profile")) as server:
        yield server


async def test_playwright_drives_the_rooms_browser_and_every_viewer_sees_it(room: LiveServer) -> None:
    bot = login(room, "bot")
    async with agent(room, bot["token"]) as browser:
        page = await first_page(browser)
        colour = "rgb({},{},{})".format(*GREEN)
        await page.goto(f"data:text/html,<title>agent</title><body style='background:{colour}'>")
        assert await page.title() == "agent"
        # A message far above the room socket's 64 KiB bound: CDP clients send whole scripts at once.
        assert await page.evaluate("s => s.length", "x" * 3_000_000) == 3_000_000
        await shows(room, bot["token"], GREEN)  # the desktop's screen: what the viewers' video carries
        # A second client at the same time has its own session on the same browser.
        async with agent(room, bot["token"]) as second:
            other = await first_page(second)
            assert await other.evaluate("document.title") == "agent"
            assert room.app.services.automation.status()["agents"] == 2
        assert await page.evaluate("1 + 1") == 2  # the first is untouched by the second's leaving


async def test_the_discovery_document_points_back_through_nekoapi(room: LiveServer) -> None:
    bot = login(room, "bot2")
    async with httpx.AsyncClient(base_url=room.http_url) as client:
        by_query = await client.get(f"/api/room/cdp/json/version/?token={bot['token']}")
        by_header = await client.get("/api/room/cdp/json/version", headers=bearer(bot))
    assert by_query.status_code == 200 and by_query.json()["Browser"].startswith("Chrome/")
    assert by_query.json()["webSocketDebuggerUrl"] == f"ws://127.0.0.1:{room.port}/api/room/cdp?token={bot['token']}"
    assert by_header.json()["webSocketDebuggerUrl"] == f"ws://127.0.0.1:{room.port}/api/room/cdp"


async def test_without_can_automate_or_credentials_both_are_refused(room: LiveServer) -> None:
    user = login(room, "viewer", admin=False)
    ws_url = f"ws://127.0.0.1:{room.port}/api/room/cdp"
    async with httpx.AsyncClient(base_url=room.http_url) as client:
        assert (await client.get("/api/room/cdp/json/version")).status_code == 401
        assert (await client.get("/api/room/cdp/json/version", headers=bearer(user))).status_code == 403
        plain = await client.get("/api/room/cdp", headers=bearer(login(room, "bot3")))
        assert plain.status_code == 426
    for url, status in ((ws_url, 401), (f"{ws_url}?token=forged", 401), (f"{ws_url}?token={user['token']}", 403)):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url)
        assert refused.value.response.status_code == status
        assert b'"code":%d' % status in refused.value.response.body


async def test_a_human_takes_the_browser_over_and_gives_it_back(room: LiveServer) -> None:
    bot, human = login(room, "agent"), login(room, "human")
    events = await EventClient.connect(room.ws_url(human["token"]))
    try:
        async with agent(room, bot["token"]) as browser, httpx.AsyncClient(base_url=room.http_url) as client:
            page = await first_page(browser)
            await page.goto(CLICKS_PAGE)
            await page.mouse.click(300, 300)
            assert await page.evaluate("document.getElementById('b').dataset.n") == "1"
            # the agent asks; the human sees it
            asked = await client.post(
                "/api/room/automation/handover", json={"message": "solve the captcha"}, headers=bearer(bot)
            )
            assert asked.status_code == 204
            assert await events.wait_for("automation/handover") == {"id": bot["id"], "message": "solve the captcha"}
            # the human takes over: the agent's input is refused with a CDP error
            assert (await client.post("/api/room/automation/take", headers=bearer(human))).status_code == 204
            status = await events.wait_for("automation/status", paused=True)
            assert status["paused_by"] == human["id"] and "handover" not in status
            with pytest.raises(PlaywrightError, match="a human has taken over the room's browser"):
                await page.mouse.click(300, 300)
            assert await page.evaluate("document.getElementById('b').dataset.n") == "1"  # reading still works
            # only they (or an administrator) give it back, with one call
            refused = await client.post("/api/room/automation/give-back", headers=bearer(login(room, "u", False)))
            assert refused.status_code == 403
            assert (await client.post("/api/room/automation/give-back", headers=bearer(human))).status_code == 204
            await events.wait_for("automation/status", paused=False)
            await page.mouse.click(300, 300)  # the agent goes on
            assert await page.evaluate("document.getElementById('b').dataset.n") == "2"
    finally:
        await events.connection.close()


async def test_a_session_that_loses_can_automate_loses_its_cdp_socket(room: LiveServer, tmp_path: Path) -> None:
    bot = login(room, "demoted")
    async with agent(room, bot["token"]) as browser:
        page = await first_page(browser)
        admin = login(room, "root")
        changed = httpx.post(
            f"{room.http_url}/api/profile", json={"can_automate": False}, headers=bearer(bot)
        )  # an administrator may change its own profile
        assert changed.status_code == 204 and admin["id"] != bot["id"]
        with pytest.raises(PlaywrightError):
            for _ in range(100):
                await page.evaluate("1")
                await page.wait_for_timeout(100)
