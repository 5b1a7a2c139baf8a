"""Glass-to-glass as a person sees it: Debian's Chromium (headless, Playwright) playing the page at ``/``.

The page logs in as a person would. From then on, every video frame the browser presents has its
centre pixel read (``requestVideoFrameCallback``), with the frame's own times: when its last packet
arrived plus how long decoding took (decoded), and when it is expected on screen (displayed).
A colour painted on the desktop is timed from the paint to the first frame showing it. The page's
times are turned into wall-clock milliseconds (``performance.timeOrigin``), as the paint's are.
"""

from __future__ import annotations

import asyncio
import sys
import time

from playwright.async_api import Page

from bench.media_clients import COLOURS, NEUTRAL, between_paints
from tests.media.desktop import Painter
from tests.support.browser import log_in, page_at

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


# The same for a video element fed by Media Source Extensions (the WebSocket media on a plain http page),
# whose frames carry no receive time: when each was handed to the compositor, and its expected display.
STAMP_SOURCE_FRAMES = STAMP_FRAMES.replace(
    "wall(frame.receiveTime) + 1000 * frame.processingDuration", "wall(frame.presentationTime)"
)
assert STAMP_SOURCE_FRAMES != STAMP_FRAMES


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
    async with page_at(base_url, 1400, 900) as page:
        await log_in(page, f"browser-{time.monotonic_ns()}", password, timeout=20)
        return await timed_paints(page, painter, samples)


async def timed_paints(
    page: Page, painter: Painter, samples: int, stamp: str = STAMP_FRAMES
) -> tuple[list[float], list[float]]:
    """(A logged-in page.) Paint to decoded frame, and paint to expected display time, in ms. ``stamp``
    fills ``window.benchFrames`` with each frame's centre colour and its times, as ``STAMP_FRAMES`` does."""
    await page.evaluate(stamp)
    await asyncio.to_thread(painter.fill, NEUTRAL)
    await asyncio.sleep(0.5)
    decoded, displayed = [], []
    for i in range(samples):
        rgb = COLOURS[i % 2]
        painted = time.time() * 1000
        await asyncio.to_thread(painter.fill, rgb)
        at_decode, at_display = await _first_showing(page, rgb, painted)
        decoded.append(at_decode - painted)
        displayed.append(at_display - painted)
        await asyncio.sleep(between_paints(i))
    return decoded, displayed


async def login_to_first_frame(base_url: str, password: str, samples: int = 5) -> list[float]:
    """The page's "Log in" until its video has a first frame, in ms; a fresh browser (no cache) each time."""
    times = []
    for _ in range(samples):
        async with page_at(base_url, 1400, 900) as page:
            await page.fill("input[name=username]", f"first-{time.monotonic_ns()}")
            await page.fill("input[name=password]", password)
            button = page.get_by_role("button", name="Log in")
            await button.wait_for()
            while not await button.is_enabled():  # the page's script has not run yet
                await asyncio.sleep(0.01)
            started = time.monotonic()
            await button.click()
            while not await page.evaluate("document.getElementById('video').videoWidth > 0"):
                await asyncio.sleep(0.01)
                if time.monotonic() - started > 20:
                    raise TimeoutError("the page's video never played")
            times.append((time.monotonic() - started) * 1000)
    return times


def main() -> int:
    """``python -m bench.media_browser``: the page's first frame after login alone, against a server
    started as `make run` starts it (the media bench's), on a screen of its own."""
    from bench.media import Server, row
    from bench.media_clients import PASSWORD
    from bench.servers import SERVER_CORE, pinned
    from tests.media.desktop import xvfb

    with xvfb(1280, 720, launcher=pinned(SERVER_CORE, [])) as display:
        server = Server(display, 1)
        try:
            times = asyncio.run(login_to_first_frame(server.url, PASSWORD))
        finally:
            server.stop()
    print(row("first frame in Chromium: the page's Log in until its video plays (ms)", times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
