"""The room's page at / in Debian's Chromium, headless, driven by Playwright: for the e2e tests and the media bench."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from playwright.async_api import Page, async_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own browser here
ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--use-fake-ui-for-media-stream"]


@contextlib.asynccontextmanager
async def page_at(base_url: str, width: int = 1600, height: int = 800) -> AsyncIterator[Page]:
    """A fresh headless Chromium with the page at ``base_url``/ open; closed afterwards."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            tab = await browser.new_page(viewport={"width": width, "height": height})
            await tab.goto(base_url + "/")
            yield tab
        finally:
            await browser.close()


async def log_in(page: Page, username: str, password: str, timeout: float = 15) -> None:
    """Logs in through the page's form, and returns once its video plays."""
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    # Polled with evaluate: wait_for_function evaluates strings in the page, which its CSP forbids.
    deadline = time.monotonic() + timeout
    while not await page.evaluate("document.getElementById('video').videoWidth > 0"):
        if time.monotonic() > deadline:
            raise TimeoutError("the page's video never played")
        await asyncio.sleep(0.1)
