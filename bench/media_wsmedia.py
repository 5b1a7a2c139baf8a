"""The WebSocket media fallback (``/api/room/media``) beside WebRTC: Chromium's glass-to-glass, and the server's
CPU with 10 viewers of each kind.

Glass-to-glass: the page at / with the fallback asked for (``nekoapi.wsmedia``), in Chromium on the server's
own host, beside media_tcp.py's Chromium over UDP and ICE-TCP, on the same server and desktop. The server
listens on its link's address for the namespace's browser; from its own host that address is local (the
kernel's loopback), but over http it is no secure context, where WebCodecs do not exist: that one origin is
declared one (``--unsafely-treat-insecure-origin-as-secure``), as an https proxy in front would make it. The
page decodes with WebCodecs and paints to its canvas; each paint is timed (decoded) with the painted frame's
centre colour, and the next animation frame after it (on screen).

CPU: 10 counting WebRTC viewers (video and sound, bench/media_clients.py) and 10 WebSocket viewers (a process
of their own, logged in as the others, counting video messages) watch the moving square in turn on one
server (``ORDER``); each kind's runs are averaged, so a drift of the shared machine's load falls on both.

``python -m bench.media_wsmedia`` runs this part alone (the glass-to-glass rows need root, as media_tcp.py's).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import websockets
from playwright.async_api import Page, async_playwright

from bench.media_browser import STAMP_SOURCE_FRAMES, timed_paints
from bench.media_clients import PASSWORD, frames_counted, viewers, ws_url
from bench.servers import LOAD_CORE, pinned
from nekoapi.media.wsmedia import KIND_VIDEO
from tests.media.desktop import Painter
from tests.support.browser import ARGS, CHROMIUM, send_login

VIEWERS = 10
SECONDS = 10.0
ORDER = ("webrtc", "socket", "webrtc", "socket")  # in turn: a drift of the load falls on both
GLASS_TARGET = 20.0  # ms: the fallback's p50 on screen within this of UDP's
CPU_TARGET = 1.0  # the fallback's server CPU at most this times WebRTC's

# Every canvas paint of the page (its VideoDecoder's output, drawn with drawImage) is stamped with the
# painted centre colour, when it was painted, and when the next animation frame after it ran: the canvas
# is composited with that frame. The page's context is wrapped, nothing else changes.
STAMP_CANVAS = """() => {
  const screen = document.getElementById('screen');
  const context = screen.getContext('2d');
  const draw = context.drawImage;
  const wall = (t) => performance.timeOrigin + t;
  window.benchFrames = [];
  context.drawImage = function (image, ...rest) {
    const painted = performance.now();
    draw.call(this, image, ...rest);
    const [r, g, b] = context.getImageData(screen.width / 2, screen.height / 2, 1, 1).data;
    requestAnimationFrame(() => {
      window.benchFrames.push([r, g, b, wall(painted), wall(performance.now())]);
      if (window.benchFrames.length > 400) window.benchFrames.splice(0, 200);
    });
  };
}"""

CANVAS_PAINTED = "(() => { const c = document.getElementById('screen'); return !c.hidden && c.width > 0; })()"


@contextlib.asynccontextmanager
async def socket_page(base_url: str, secure: bool = True) -> AsyncIterator[Page]:
    """The page at ``base_url``/ in a headless Chromium on this host, the fallback asked for; closed afterwards.
    ``secure``: the origin is taken for a secure context (WebCodecs); else it is plain http (Media Source
    Extensions in the video element)."""
    async with async_playwright() as playwright:
        args = [*ARGS, f"--unsafely-treat-insecure-origin-as-secure={base_url}"] if secure else ARGS
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(base_url + "/")
            await page.evaluate(
                "localStorage.setItem('nekoapi.wsmedia', '1')"
            )  # the page's setting, as a person ticks it
            await page.reload()
            yield page
        finally:
            await browser.close()


async def glass_to_glass(base_url: str, painter: Painter, samples: int = 40) -> tuple[list[float], list[float]]:
    """Paint to the page's canvas paint, and to the next animation frame after it, in ms."""
    async with socket_page(base_url) as page:
        await send_login(page, f"socket-browser-{time.monotonic_ns()}", PASSWORD, 20)
        deadline = time.monotonic() + 20
        while not await page.evaluate(CANVAS_PAINTED):
            if time.monotonic() > deadline:
                raise TimeoutError("the page's canvas never showed a frame")
            await asyncio.sleep(0.1)
        if not await page.evaluate("typeof VideoDecoder === 'function'"):
            raise RuntimeError("the page has no WebCodecs")
        return await timed_paints(page, painter, samples, stamp=STAMP_CANVAS)


async def glass_to_glass_plain(base_url: str, painter: Painter, samples: int = 40) -> tuple[list[float], list[float]]:
    """The same on a plain http page: the socket's packets played by the video element through Media Source
    Extensions. Paint to the frame handed to the compositor, and to its expected display time, in ms."""
    async with socket_page(base_url, secure=False) as page:
        await send_login(page, f"socket-browser-{time.monotonic_ns()}", PASSWORD, 20)
        deadline = time.monotonic() + 20
        while not await page.evaluate("document.getElementById('video').videoWidth > 0"):
            if time.monotonic() > deadline:
                raise TimeoutError("the page's video never showed a frame")
            await asyncio.sleep(0.1)
        if await page.evaluate("isSecureContext || typeof VideoDecoder === 'function'"):
            raise RuntimeError("the page is a secure context: it would not use Media Source Extensions")
        return await timed_paints(page, painter, samples, stamp=STAMP_SOURCE_FRAMES)


def glass_verdict(udp: tuple[list[float], list[float]], socket: tuple[list[float], list[float]], path: str) -> str:
    """Decoded and on-screen times of the reference (``path``: UDP, unless the browser chose otherwise) and of the
    fallback; judged on screen, where each path's figure includes its own way to the screen."""
    from bench.media import percentile  # bench.media imports this module

    (udp_decoded, udp_shown), (socket_decoded, socket_shown) = (
        (percentile(decoded, 0.5), percentile(shown, 0.5)) for decoded, shown in (udp, socket)
    )
    verdict = "met" if socket_shown <= udp_shown + GLASS_TARGET else "not met"
    return (
        f"- Chromium on screen over the WebSocket fallback, p50 <= {path}'s p50 + {GLASS_TARGET:.0f} ms (same run,"
        f" same server): {verdict} ({socket_shown:.1f} ms beside {udp_shown:.1f} ms, {socket_shown - udp_shown:+.1f}"
        f" ms; decoded {socket_decoded:.1f} beside {udp_decoded:.1f} ms)."
    )


class SocketViewers:
    """``count`` WebSocket media viewers in a process of their own, on the load's core, until ``close``."""

    def __init__(self, base_url: str, count: int) -> None:
        argv = pinned(LOAD_CORE, [sys.executable, "-m", "bench.media_wsmedia", base_url, str(count)])
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self._line() != "watching":
            self.close()
            raise RuntimeError("the WebSocket viewers did not start watching")

    def _line(self) -> str:
        assert self._process.stdout is not None
        return self._process.stdout.readline().strip()

    def frames(self) -> list[int]:
        """Video messages each viewer has read so far."""
        assert self._process.stdin is not None
        self._process.stdin.write("\n")
        self._process.stdin.flush()
        return list(json.loads(self._line()))

    def close(self) -> None:
        self._process.communicate(timeout=30)  # stdin closed: the viewers leave


async def _socket_viewer(base_url: str, index: int, counts: list[int], started: asyncio.Event) -> None:
    """Logs in as the page does (its events socket open), then reads the media socket, counting video."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        login = await http.post(
            "/api/login", json={"username": f"socket{index}-{time.monotonic_ns()}", "password": PASSWORD}
        )
        login.raise_for_status()
    token = login.json()["token"]
    media = base_url.replace("http://", "ws://", 1) + f"/api/room/media?token={token}"
    events_url = f"{ws_url(base_url)}?token={token}"
    async with websockets.connect(events_url) as events, websockets.connect(media, max_size=None) as socket:
        drain = asyncio.create_task(_drain(events))
        try:
            async for message in socket:
                if message[0] == KIND_VIDEO:
                    counts[index] += 1
                    started.set()
        finally:
            drain.cancel()


async def _drain(events: websockets.ClientConnection) -> None:
    async for _ in events:
        pass


async def _socket_crowd(base_url: str, count: int) -> None:
    counts = [0] * count
    firsts = [asyncio.Event() for _ in range(count)]
    tasks = [asyncio.create_task(_socket_viewer(base_url, i, counts, firsts[i])) for i in range(count)]
    await asyncio.wait_for(asyncio.gather(*(first.wait() for first in firsts)), 30)
    print("watching", flush=True)
    while await asyncio.to_thread(sys.stdin.readline):
        print(json.dumps(counts), flush=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def watch(kind: str, url: str, cpu: Callable[[], float], seconds: float = SECONDS) -> tuple[float, float]:
    """Server cores and the median viewer's frames a second while ``VIEWERS`` of ``kind`` watch."""
    loop = asyncio.get_running_loop()
    if kind == "webrtc":
        clients = await viewers(url, VIEWERS, sound=True)  # the socket carries the sound too

        async def counted() -> list[int]:
            return [frames_counted(c) for c in clients]

        async def leave() -> None:
            for client in clients:
                await client.close()
    else:
        crowd = await asyncio.to_thread(SocketViewers, url, VIEWERS)

        async def counted() -> list[int]:
            return await asyncio.to_thread(crowd.frames)

        async def leave() -> None:
            await asyncio.to_thread(crowd.close)

    try:
        await asyncio.sleep(2.0)  # the joins' keyframes
        frames, before, wall = await counted(), cpu(), loop.time()
        await asyncio.sleep(seconds)
        cores, elapsed = cpu() - before, loop.time() - wall
        fps = [(after - then) / elapsed for after, then in zip(await counted(), frames, strict=True)]
    finally:
        await leave()
    return cores / elapsed, statistics.median(fps)


@dataclass(frozen=True)
class Watched:
    cores: float
    fps_median: float


def summary(webrtc: list[Watched], socket: list[Watched]) -> str:
    """The row: both means, their ratio and the verdict, and the ratio per frame delivered (when the frame
    rates differ by more than 10 %, the work differs too: nothing is judged)."""
    rtc, ws = (statistics.mean(run.cores for run in runs) for runs in (webrtc, socket))
    rtc_fps, ws_fps = (statistics.mean(run.fps_median for run in runs) for runs in (webrtc, socket))
    ratio = ws / rtc
    verdict = "met" if ratio <= CPU_TARGET else "not met"
    if max(rtc_fps, ws_fps) > 1.1 * min(rtc_fps, ws_fps):
        verdict = "not judged, the frame rates differ by more than 10 %"  # unequal work: a loaded machine
    return (
        f"WebSocket media fallback, {VIEWERS} viewers (video and sound), the moving square: server {ws:.3f} cores"
        f" beside {rtc:.3f} for {VIEWERS} WebRTC viewers, ratio {ratio:.2f} (target <= {CPU_TARGET:.0f}x: {verdict});"
        f" fps per viewer {ws_fps:.1f} beside {rtc_fps:.1f}, so per frame delivered {ratio * rtc_fps / ws_fps:.2f}"
        f" (means of {len(socket)} socket and {len(webrtc)} WebRTC runs, in turn, one server)."
    )


async def measure(display: str) -> str:
    """The CPU row: 10 WebSocket viewers beside 10 WebRTC viewers, one server, in turn."""
    from bench.media import Server  # the media bench's server, as `make run` starts it

    runs: dict[str, list[Watched]] = {"webrtc": [], "socket": []}
    server = Server(display, 1)
    try:
        for kind in ORDER:
            got = Watched(*await watch(kind, server.url, server.cpu))
            runs[kind].append(got)
            print(f"{kind}: {got.cores:.3f} cores, {got.fps_median:.1f} fps", file=sys.stderr)
            await asyncio.sleep(1.0)  # the leavers are gone
    finally:
        server.stop()
    return summary(runs["webrtc"], runs["socket"])


def main() -> int:
    """The CPU row, then the glass-to-glass rows (UDP, ICE-TCP and the fallback, media_tcp.py's run)."""
    from bench import media_tcp
    from bench.media import alone

    alone(measure)
    print("\n".join(asyncio.run(media_tcp.alone())))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3:  # SocketViewers' process
        asyncio.run(_socket_crowd(sys.argv[1], int(sys.argv[2])))
    else:
        sys.exit(main())
