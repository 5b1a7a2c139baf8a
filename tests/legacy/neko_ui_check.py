"""Neko's own bundled v2 UI (``client/`` of m1k1o/neko, built) served by nekoapi and used as Neko's users use it.

Not part of ``make test`` (its name is no ``test_*``): it needs Neko's UI built from Neko's repository,
which the test machine cannot fetch. ``make neko-ui-check NEKO_SRC=<a checkout of m1k1o/neko>`` builds
it with npm and runs this file with ``NEKO_UI_DIST`` pointing at the build. nekoapi starts as
``make run`` starts it (its own Xorg, Chromium and PulseAudio), configured by Neko v2's names
``NEKO_STATIC``, ``NEKO_PASSWORD`` and ``NEKO_PASSWORD_ADMIN`` (tests/support/process.py adds the bind).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.support.patience import REPLY
from tests.support.process import serve

DIST = os.environ.get("NEKO_UI_DIST", "")
USER_PASSWORD, ADMIN_PASSWORD = "neko", "admin"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not DIST:
        pytest.fail("NEKO_UI_DIST is not set: run `make neko-ui-check NEKO_SRC=...`")
    profile = tmp_path_factory.mktemp("neko-ui") / "browser"
    v2_names = {"NEKO_STATIC": DIST, "NEKO_PASSWORD": USER_PASSWORD, "NEKO_PASSWORD_ADMIN": ADMIN_PASSWORD}
    with serve(NEKO_DESKTOP_ENABLED="true", NEKO_DESKTOP_PROFILE=str(profile), **v2_names) as running:
        yield running.url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield launched
        await launched.close()


async def connect(browser: Browser, url: str, name: str, password: str) -> Page:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
    await page.goto(f"{url}/?show_side=1")  # the side panel (chat, members) open, as a user opens it
    await page.fill(".connect input[type=text]", name)
    await page.fill(".connect input[type=password]", password)
    await page.click(".connect button[type=submit]")
    await page.wait_for_selector(".connect", state="detached", timeout=REPLY * 1000)
    return page


async def plays(page: Page) -> None:
    await page.wait_for_function(
        "() => { const v = document.querySelector('.video video'); return v && v.videoWidth > 0 && v.currentTime > 0 }",
        timeout=REPLY * 1000,
    )


def metrics(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as reply:
        return reply.read().decode()


def stats(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/stats?pwd={ADMIN_PASSWORD}", timeout=5) as reply:
        return json.loads(reply.read())  # type: ignore[no-any-return]


async def test_neko_s_own_ui_plays_chats_hands_control_over_and_an_admin_moderates(
    server: str, browser: Browser
) -> None:
    alice = await connect(browser, server, "alice", USER_PASSWORD)
    boss = await connect(browser, server, "boss", ADMIN_PASSWORD)
    for page in (alice, boss):
        await plays(page)
    # The v2 UI watches Neko's `legacy` video, the one with the pointer drawn in.
    assert 'neko_media_encoded_frames_total{rung="legacy"}' in metrics(server)
    await alice.fill(".chat-send textarea", "hello from the v2 UI")
    await alice.press(".chat-send textarea", "Enter")
    await boss.wait_for_selector(".chat-history >> text=hello from the v2 UI", timeout=REPLY * 1000)
    # Control passes: alice takes it, the admin releases it from her, then takes it himself.
    await take_control(alice)
    await _until(lambda: stats(server)["host"] != "", "alice never got control")
    host = stats(server)["host"]
    await boss.click(".members-list div.member:not(.self)", button="right")  # avatars; alice is the only other
    await boss.click(".context >> text=Force Release Controls")
    await _until(lambda: stats(server)["host"] == "", "the admin could not release alice's control")
    await take_control(boss)
    await _until(lambda: stats(server)["host"] not in ("", host), "the admin never got control")
    # The admin mutes alice from the member list's menu: her chat box goes.
    await boss.click(".members-list div.member:not(.self)", button="right")  # avatars; alice is the only other
    await boss.click(".context >> text=Mute")
    await boss.click(".swal2-confirm")
    await alice.wait_for_selector(".chat-send", state="detached", timeout=REPLY * 1000)
    # The admin locks the room for new logins.
    await boss.click(".header .menu i[class*='fa-lock']")  # its icon reads locked either way (an object is true)
    await _until(lambda: "login" in stats(server)["locked"], "the room did not lock")  # type: ignore[operator]
    # The admin kicks alice: her UI says so.
    await boss.click(".members-list div.member:not(.self)", button="right")  # avatars; alice is the only other
    await boss.click(".context >> text=Kick")
    await boss.click(".swal2-confirm")
    await alice.wait_for_selector("text=You have been removed from this room.", timeout=REPLY * 1000)
    assert host


async def take_control(page: Page) -> None:
    """The keyboard button, or, with implicit hosting (no such button), a click on the video."""
    request = page.locator(".fa-keyboard.request")
    if await request.count():
        await request.click()
    else:
        await page.click(".video .overlay")


async def _until(condition: object, message: str) -> None:
    deadline = time.monotonic() + REPLY
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, message
        await asyncio.sleep(0.2)
