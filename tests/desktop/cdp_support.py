"""The room's Chromium behind a live nekoapi, and Playwright connected to it through /api/room/cdp."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright

from nekoapi.desktop.xserver import XServer
from tests.support.patience import REPLY

from ..support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from ..support.live import LiveServer, live_server
from ..support.paint import Colour

# Administrators of these servers may automate; users keep the default (they may not).
AGENT_PROFILE = '{"can_automate": true}'
BROWSER_START = 60.0  # Chromium on a loaded machine


@contextlib.contextmanager
def browser_room(x_server: XServer, profile: Path, **env: str) -> Iterator[LiveServer]:
    """A live server whose desktop (the session's X server) shows Chromium; waits until CDP can reach it."""
    assert x_server.display is not None
    config = make_config(
        NEKO_DESKTOP_ENABLED="true",
        NEKO_DESKTOP_DISPLAY=x_server.display,
        NEKO_DESKTOP_APP="/usr/bin/chromium",
        NEKO_DESKTOP_PROFILE=str(profile),
        NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE=AGENT_PROFILE,
        **env,
    )
    with live_server(config) as server:
        deadline = time.monotonic() + BROWSER_START
        while not server.app.services.automation.devtools.available():
            assert time.monotonic() < deadline, "the room's browser did not start"
            time.sleep(0.1)
        yield server


def login(server: LiveServer, username: str, admin: bool = True) -> dict[str, Any]:
    password = ADMIN_PASSWORD if admin else USER_PASSWORD
    reply = httpx.post(f"{server.http_url}/api/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


def bearer(login_body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {login_body['token']}"}


@contextlib.asynccontextmanager
async def agent(server: LiveServer, token: str) -> AsyncIterator[Browser]:
    """Playwright on the room's browser, given nekoapi's http:// endpoint as it would be a DevTools server's."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(f"{server.http_url}/api/room/cdp?token={token}")
        try:
            yield browser
        finally:
            await browser.close()  # for a connected browser: disconnects, the room's browser stays


async def first_page(browser: Browser, timeout: float = BROWSER_START) -> Page:
    deadline = time.monotonic() + timeout
    while not browser.contexts or not browser.contexts[0].pages:
        assert time.monotonic() < deadline, "the room's browser shows no page"
        await asyncio.sleep(0.1)
    return browser.contexts[0].pages[0]


async def screen_pixel(server: LiveServer, token: str, x: int, y: int) -> Colour:
    async with httpx.AsyncClient() as client:
        shot = await client.get(
            f"{server.http_url}/api/room/screen/shot.jpg", headers={"Authorization": f"Bearer {token}"}
        )
    assert shot.status_code == 200, shot.text
    rgb = Image.open(io.BytesIO(shot.content)).convert("RGB").getpixel((x, y))
    return rgb  # type: ignore[return-value]


async def shows(server: LiveServer, token: str, colour: Colour, timeout: float = REPLY) -> None:
    """The desktop's screen, as every viewer gets it, shows ``colour`` in the browser's page area."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await screen_pixel(server, token, 640, 450)
        if max(abs(a - b) for a, b in zip(seen, colour, strict=True)) <= 24:
            return
        assert time.monotonic() < deadline, f"the screen shows {seen}, not {colour}"
        await asyncio.sleep(0.2)
