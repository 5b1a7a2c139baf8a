"""The room's page shows an agent's request for a person, takes the browser over and gives it back, one click each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from nekoapi.config import Config
from tests.support.patience import REPLY

from ..support.browser import page_at
from ..support.client import ApiClient, Login
from ..support.factory import USER_PASSWORD, make_config
from ..support.live import LiveServer


@pytest.fixture
def config() -> Config:
    return make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_automate": true}')


@pytest.fixture
def room(server: LiveServer) -> Iterator[LiveServer]:
    yield server


async def test_the_page_takes_the_browser_over_and_gives_it_back(room: LiveServer, http: ApiClient) -> None:
    async with page_at(room.http_url) as page:
        await page.fill("input[name=username]", "alice")
        await page.fill("input[name=password]", USER_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#room:not([hidden])")
        bot = await http.login_user("bot")
        await _until_connected(http, bot)
        asked = await http.post("/api/room/automation/handover", json={"message": "a captcha"}, headers=bot.bearer)
        assert asked.status_code == 204
        notice = page.locator("#automation-text")
        await notice.filter(has_text="An agent asks for a person: a captcha").wait_for()
        await page.get_by_role("button", name="Take over the browser").click()
        await notice.filter(has_text="You hold the browser").wait_for()
        status = (await http.get("/api/room/automation", headers=bot.bearer)).json()
        assert status["paused"] is True and room.app.services.sessions.host_id == status["paused_by"]
        await page.get_by_role("button", name="Give control back").click()
        await page.locator("#automation").wait_for(state="hidden")
        assert (await http.get("/api/room/automation", headers=bot.bearer)).json()["paused"] is False


async def _until_connected(http: ApiClient, who: Login) -> None:
    """The page's socket is open once alice shows as connected."""
    deadline = asyncio.get_running_loop().time() + REPLY
    while asyncio.get_running_loop().time() < deadline:
        sessions = (await http.get("/api/sessions", headers=who.bearer)).json()
        if any(s["profile"]["name"] == "alice" and s["state"]["is_connected"] for s in sessions):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the page never connected")
