"""The room's page at / in Debian's Chromium, headless, driven by Playwright: for the e2e tests and the media bench."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, async_playwright

from .netns import RemoteHost
from .patience import REPLY, START

CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own browser here
# Fake media devices: the microphone test's getUserMedia gets a synthetic one (a headless machine has none).
ARGS = [
    "--no-sandbox",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


CLOSE = 20.0  # s a browser or a context gets to close


async def closed(closing: Awaitable[None]) -> None:
    """Waits for a browser or a browser context to close, at most ``CLOSE`` s: on a loaded machine Chromium
    has been seen never to answer a close (a CI run stood 8 minutes in a teardown). Past that, the test goes
    on, and leaving ``async_playwright()`` stops the driver, which ends its browsers."""
    try:
        await asyncio.wait_for(closing, CLOSE)
    except TimeoutError:
        print(f"Chromium did not close within {CLOSE:.0f} s; its driver's exit ends it", file=sys.stderr)


async def open_at(tab: Page, url: str, tries: int = 5) -> None:
    """``tab.goto(url)``, again when Chromium dropped it because its network changed: the tests' network
    namespaces come and go beside it, and Chromium cancels requests in flight then, the first navigation
    included (boot.js reloads a page that lost one of its modules; this is the navigation before it)."""
    for attempt in range(tries):
        try:
            await tab.goto(url)
            return
        except PlaywrightError as error:
            if "ERR_NETWORK_CHANGED" not in str(error) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))


@contextlib.asynccontextmanager
async def page_at(base_url: str, width: int = 1600, height: int = 800) -> AsyncIterator[Page]:
    """A fresh headless Chromium with the page at ``base_url``/ open; closed afterwards."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            tab = await browser.new_page(viewport={"width": width, "height": height})
            await open_at(tab, base_url + "/")
            yield tab
        finally:
            await closed(browser.close())


@contextlib.asynccontextmanager
async def page_on(remote: RemoteHost, base_url: str, width: int = 1280, height: int = 800) -> AsyncIterator[Page]:
    """``page_at`` on a host of the test's own: Chromium (and its children) join the host's network namespace,
    as Playwright starts them from the host's thread. Use the page through ``remote.run``."""
    stack = contextlib.AsyncExitStack()
    page = await remote.run(stack.enter_async_context(page_at(base_url, width, height)))
    try:
        yield page
    finally:
        await remote.run(stack.aclose())


@contextlib.asynccontextmanager
async def browser_at(base_url: str) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """One headless Chromium; each call opens the page at ``base_url``/ in a context of its own
    (its own storage, as another person's browser), all closed afterwards."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        async def open_page(width: int = 1600, height: int = 800, **options: Any) -> Page:
            """``options``: more of Playwright's context options (``has_touch``, ``is_mobile``, ...)."""
            viewport = {"width": width, "height": height}
            context = await browser.new_context(viewport=viewport, locale="en-US", **options)
            tab = await context.new_page()
            await open_at(tab, base_url + "/")
            return tab

        try:
            yield open_page
        finally:
            await closed(browser.close())


CENTRE_RGB = """() => {
  const v = document.getElementById('video');
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const d = g.getImageData(c.width / 2, c.height / 2, 1, 1).data;
  return [d[0], d[1], d[2]];
}"""


async def shows(page: Page, rgb: tuple[int, int, int], timeout: float = REPLY) -> None:
    """Returns once the centre of the page's video shows ``rgb`` (within 16 a channel)."""
    await _centre_shows(page, CENTRE_RGB, rgb, timeout, "the page")


async def _centre_shows(page: Page, script: str, rgb: tuple[int, int, int], timeout: float, where: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        seen = await page.evaluate(script)
        if seen is not None and max(abs(a - b) for a, b in zip(seen, rgb, strict=True)) <= 16:
            return
        assert time.monotonic() < deadline, f"{where} shows {seen}, the desktop {rgb}"
        await asyncio.sleep(0.1)


CANVAS_CENTRE_RGB = """() => {
  const c = document.getElementById('screen');
  if (c.hidden || !c.width) return null;
  const d = c.getContext('2d').getImageData(c.width / 2, c.height / 2, 1, 1).data;
  return [d[0], d[1], d[2]];
}"""


async def canvas_shows(page: Page, rgb: tuple[int, int, int], timeout: float = REPLY) -> None:
    """Returns once the centre of the page's canvas (the media over the WebSocket) shows ``rgb``."""
    await _centre_shows(page, CANVAS_CENTRE_RGB, rgb, timeout, "the page's canvas")


# What the page had loaded, for the message when its script never ran.
LOADED = """() => ({ state: document.readyState, url: location.href,
  loaded: performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()) })"""


async def script_ran(page: Page) -> bool:
    """Whether the page's script has run; false while the page loads again (boot.js reloads it when one
    of its modules did not arrive)."""
    try:
        return bool(await page.evaluate("Boolean(window.nekoRoom)"))
    except PlaywrightError:  # the page navigated away from under the question
        return False


async def until_script_ran(page: Page, timeout: float = START) -> None:
    """Returns once the page's script has run (its form's handler is bound: no native submit)."""
    deadline = time.monotonic() + timeout  # a page coming up on a busy machine, as a browser does
    while not await script_ran(page):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page's script never ran: {await page.evaluate(LOADED)}")
        await asyncio.sleep(0.05)


async def send_login(page: Page, username: str, password: str, timeout: float = START) -> None:
    """Fills the page's login form and sends it, once the page's script can take it."""
    await until_script_ran(page, timeout)
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")


async def log_in(page: Page, username: str, password: str, timeout: float = REPLY) -> None:
    """Logs in through the page's form, and returns once its video plays."""
    await send_login(page, username, password, max(timeout, START))
    # Polled with evaluate: wait_for_function evaluates strings in the page, which its CSP forbids.
    deadline = time.monotonic() + timeout
    while not await page.evaluate("document.getElementById('video').videoWidth > 0"):
        if time.monotonic() > deadline:
            raise TimeoutError("the page's video never played")
        await asyncio.sleep(0.1)
