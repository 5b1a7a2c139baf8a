"""The room's page at / in a real browser (Debian's Chromium, headless, driven by Playwright).

A person logs in, the video plays what the desktop shows, a click in the video moves the
desktop's pointer, and an ICE restart (with full ICE, and with ICE-lite) keeps the video playing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from nekoapi.media.ports import connections
from nekoapi.media.pulse import PulseServer
from tests.media.conftest import media_display, media_server, painter, pulse  # noqa: F401  (fixtures)
from tests.media.desktop import Painter, pointer_at
from tests.media.remote import free_udp_port
from tests.media.server import media_server as serving
from tests.support import browser
from tests.support.browser import page_at, shows
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY


@pytest.fixture
async def page(media_server: LiveServer) -> AsyncIterator[Page]:  # noqa: F811
    async with page_at(media_server.http_url) as tab:
        yield tab


async def log_in(page: Page) -> None:
    await browser.log_in(page, "alice", USER_PASSWORD)


async def test_the_page_plays_the_desktop(page: Page, painter: Painter) -> None:  # noqa: F811
    painter.fill((220, 40, 40))
    assert "default-src 'none'" in (await page.context.request.get(page.url)).headers["content-security-policy"]
    await log_in(page)
    assert await page.evaluate("document.getElementById('video').videoWidth") == 1280
    await shows(page, (220, 40, 40))
    painter.fill((30, 200, 220))
    await shows(page, (30, 200, 220))
    await page.wait_for_selector("#members li.me.watching")
    # not hosting: the desktop's cursor is drawn from the data channel's CURSOR_IMAGE
    await page.wait_for_selector("#cursor[src^='blob:']", state="attached")


async def test_a_click_in_the_video_moves_the_desktops_pointer(page: Page, painter: Painter) -> None:  # noqa: F811
    await log_in(page)
    await page.get_by_role("button", name="Request control").click()
    await page.wait_for_selector("#video.hosting")
    box = await page.locator("#video").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)
    await pointer_at(painter, (320, 540))


ICE = """async () => {
  const pc = nekoRoom.state.pc;
  const ufrag = (d) => (d.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1];
  const out = { offer: ufrag(pc.remoteDescription), answer: ufrag(pc.localDescription),
                signaling: pc.signalingState, ice: pc.iceConnectionState, frames: 0,
                time: document.getElementById('video').currentTime };
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'transport') {
      Object.assign(out, { used: s.iceLocalUsernameFragment, pair: s.selectedCandidatePairId, dtls: s.dtlsState });
    }
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.frames = s.framesDecoded;
  });
  return out;
}"""


@pytest.mark.parametrize("ice", ["full", "lite", "udpmux"], ids=["full-ice", "ice-lite", "one-udp-port"])
async def test_an_ice_restart_keeps_the_video_playing(
    media_display: str,  # noqa: F811
    pulse: PulseServer,  # noqa: F811
    painter: Painter,  # noqa: F811
    ice: str,
) -> None:
    # On one UDP port, the restart's checks carry a new ufrag from the browser's address already routed.
    env = {
        "full": {},
        "lite": {"NEKO_WEBRTC_ICELITE": "true"},
        "udpmux": {"NEKO_WEBRTC_UDPMUX": str(free_udp_port())},
    }[ice]
    with serving(media_display, pulse, **env) as server:
        async with page_at(server.http_url) as page:
            await restarts_and_keeps_playing(page, painter, server)


async def restarts_and_keeps_playing(page: Page, painter: Painter, server: LiveServer) -> None:  # noqa: F811
    """signal/restart from the page: new ICE credentials both ways, the same peer and DTLS session playing on."""
    painter.fill((220, 40, 40))
    await log_in(page)
    await shows(page, (220, 40, 40))
    before = await page.evaluate(ICE)
    viewer = server.app.services.media.viewers[await page.evaluate("nekoRoom.state.id")]
    await page.evaluate("nekoRoom.emit('signal/restart', null)")
    deadline = time.monotonic() + REPLY
    while True:
        now = await page.evaluate(ICE)
        if now["offer"] != before["offer"] and now["signaling"] == "stable" and now["used"] == now["answer"]:
            break
        assert time.monotonic() < deadline, f"no ICE restart: before {before}, now {now}"
        await asyncio.sleep(0.1)
    print("ICE before", before, "after", now)
    assert now["answer"] != before["answer"]  # the browser restarted too: new credentials both ways
    # The server took the browser's answer (its message may still be on its way when the browser has
    # moved on) and checked a pair with the new credentials.
    (connection,) = connections(viewer.peer.pc)
    deadline = time.monotonic() + REPLY
    while connection.remote_username is None:
        assert time.monotonic() < deadline, "the server did not take the browser's answer"
        await asyncio.sleep(0.1)
    assert (connection.local_username, connection.remote_username) == (now["offer"], now["answer"])
    deadline = time.monotonic() + REPLY
    while not connection._nominated or connection._nominated[1] not in connection._check_list:
        assert time.monotonic() < deadline, "the server nominated no pair of the new ICE generation"
        await asyncio.sleep(0.1)
    mux = server.app.services.media.candidates.mux
    assert mux is None or connection._nominated[1].local_candidate.port == mux.port
    # The same peer and DTLS session keep playing the desktop.
    painter.fill((30, 200, 220))
    await shows(page, (30, 200, 220))
    # Chromium answers getStats from a cache for a few tens of milliseconds, so the new frame's count is polled.
    deadline = time.monotonic() + REPLY
    while (later := await page.evaluate(ICE))["frames"] <= now["frames"]:
        assert time.monotonic() < deadline, f"no frame decoded after the restart: {now} then {later}"
        await asyncio.sleep(0.1)
    assert later["time"] > now["time"]
    assert later["ice"] in ("connected", "completed") and later["dtls"] == "connected"
    assert server.app.services.media.viewers[await page.evaluate("nekoRoom.state.id")] is viewer
    status = page.get_by_role("status", name="Connection status")
    assert await status.text_content() == "Connected, playing"  # the peer never closed
    await page.wait_for_selector("#members li.me.watching")
