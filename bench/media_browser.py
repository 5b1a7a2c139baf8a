"""Glass-to-glass as a person sees it: Debian's Chromium (headless, Playwright) playing the page at ``/``.

The page logs in as a person would. From then on, every video frame the browser presents has its
centre pixel read (``requestVideoFrameCallback``), with the frame's own times: when its last packet
arrived plus how long decoding took (decoded), and when it is expected on screen (displayed).
A colour painted on the desktop is timed from the paint to the first frame showing it. The page's
times are turned into wall-clock milliseconds (``performance.timeOrigin``), as the paint's are.
"""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Page, async_playwright

from bench.media_clients import between_paints
from tests.media.desktop import Painter

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu"]

STAMP_FRAMES = """() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const pen = canvas.getContext('2d', {willReadFrequently: true});
  const wall = (t) => performance.timeOrigin + t;
  window.benchFrames = [];
  const stamp = (now, frame) => {
    pen.drawImage(video, video.videoWidth / 2, video.videoHeight / 2, 1, 1, 0, 0, 1, 1);
    const [r, g, b] = pen.getImageData(0, 0, 1, 1).data;
    const decoded = wall(frame.receiveTime) + 1000 * frame.processingDuration;
    window.benchFrames.push([r, g, b, decoded, wall(frame.expectedDisplayTime)]);
    if (window.benchFrames.length > 400) window.benchFrames.splice(0, 200);
    video.requestVideoFrameCallback(stamp);
  };
  video.requestVideoFrameCallback(stamp);
}"""


async def _log_in(page: Page, username: str, password: str) -> None:
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    deadline = time.monotonic() + 20
    while not await page.evaluate("document.getElementById('video').videoWidth > 0"):
        if time.monotonic() > deadline:
            raise RuntimeError("the page's video never played")
        await asyncio.sleep(0.1)


async def _first_showing(
    page: Page, rgb: tuple[int, int, int], since_ms: float, timeout: float = 5.0
) -> tuple[float, float]:
    """When the first frame showing ``rgb`` after ``since_ms`` was decoded, and when it was to be displayed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        for *seen, decoded, displayed in await page.evaluate("window.benchFrames"):
            if decoded >= since_ms and max(abs(a - b) for a, b in zip(seen, rgb, strict=True)) <= 24:
                return float(decoded), float(displayed)
    raise TimeoutError(f"the browser never showed {rgb}")


async def glass_to_glass(
    base_url: str, password: str, painter: Painter, samples: int = 40
) -> tuple[list[float], list[float]]:
    """Paint to decoded frame, and paint to the frame's expected display time, in ms."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(base_url + "/")
            await _log_in(page, f"browser-{time.monotonic_ns()}", password)
            await page.evaluate(STAMP_FRAMES)
            await asyncio.to_thread(painter.fill, (128, 128, 128))  # neither colour, whatever was shown before
            await asyncio.sleep(0.5)
            decoded, displayed = [], []
            colours = [(230, 20, 20), (20, 20, 230)]
            for i in range(samples):
                rgb = colours[i % 2]
                painted = time.time() * 1000
                await asyncio.to_thread(painter.fill, rgb)
                at_decode, at_display = await _first_showing(page, rgb, painted)
                decoded.append(at_decode - painted)
                displayed.append(at_display - painted)
                await asyncio.sleep(between_paints(i))
            return decoded, displayed
        finally:
            await browser.close()
