"""The room's page and recordings: an administrator starts and stops one, every member sees that the room
is recorded, and the recording plays back in the page (from the download route, under the page's CSP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from nekoapi.media.pulse import PulseServer
from tests.media.conftest import media_display, pulse  # noqa: F401  (fixtures)
from tests.media.desktop import Painter
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, log_in
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

WAIT = REPLY * 1000
LOADED_DURATION = """v => new Promise(ok => v.readyState >= 1
    ? ok(v.duration) : v.addEventListener('loadedmetadata', () => ok(v.duration)))"""


@pytest.fixture
def room(media_display: str, pulse: PulseServer) -> Iterator[LiveServer]:  # noqa: F811
    with serving(media_display, pulse) as server:
        yield server


async def test_an_admin_records_the_room_and_plays_it_back_while_members_see_it_is_recorded(
    room: LiveServer,
    media_display: str,  # noqa: F811
) -> None:
    painter = Painter(media_display)
    try:
        async with browser_at(room.http_url) as open_page:
            admin, bob = await open_page(), await open_page()
            await log_in(admin, "admin", ADMIN_PASSWORD)
            await log_in(bob, "bob", USER_PASSWORD)
            await expect(bob.get_by_role("region", name="Recordings")).to_be_hidden()
            await expect(bob.get_by_role("status", name="Recording")).to_be_hidden()

            await admin.get_by_role("button", name="Start recording").click()
            await expect(bob.get_by_role("status", name="Recording")).to_be_visible(timeout=WAIT)
            await expect(admin.get_by_role("status", name="Recording")).to_be_visible(timeout=WAIT)
            for shade in (40, 120, 200):
                painter.fill((shade, 80, 160))
                await admin.wait_for_timeout(400)
            await admin.get_by_role("button", name="Stop recording").click()
            await expect(bob.get_by_role("status", name="Recording")).to_be_hidden(timeout=WAIT)

            play = admin.get_by_role("button", name="Play room-")
            await expect(play).to_have_count(1, timeout=WAIT)
            await play.click()
            playback = admin.get_by_role("region", name="Recordings").locator("video")
            await expect(playback).to_be_visible()
            # The page's Content Security Policy lets the recording load: the video knows its length.
            duration = await playback.evaluate(LOADED_DURATION)
            assert duration > 0.5

            await admin.get_by_role("button", name="Delete recording room-").click()
            await expect(play).to_have_count(0, timeout=WAIT)
    finally:
        painter.close()
