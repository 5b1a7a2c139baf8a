"""The room's page, its other panels as people use them: sound and view, resolution and quality,
files between two members, the clipboard both ways, and the connection details. The page's size
and its second language too. Controls are found by role and accessible name.

One server (with its desktop and a shared directory) serves the whole module.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from Xlib import XK

from nekoapi.desktop.runtime import HELD_INPUT_LIMIT
from nekoapi.media.pulse import PulseServer
from tests.desktop.io_support import xclip, xclip_owner
from tests.media.conftest import media_display, painter, pulse  # noqa: F401  (fixtures)
from tests.media.desktop import Painter, animate
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, log_in, until_script_ran
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

OpenPage = Callable[..., Awaitable[Page]]
WAIT = REPLY * 1000
STATIC = Path(__file__).parents[2] / "nekoapi" / "web" / "static"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def room(media_display: str, pulse: PulseServer, shared: Path) -> Iterator[LiveServer]:  # noqa: F811
    files = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(shared)}
    files |= {f"NEKO_FILETRANSFER_USER_{right}": "true" for right in ("DOWNLOAD", "UPLOAD", "DELETE")}
    with serving(media_display, pulse, **files) as server:
        yield server


@pytest.fixture
async def open_page(room: LiveServer) -> AsyncIterator[OpenPage]:
    async with browser_at(room.http_url) as opener:
        yield opener


async def person(open_page: OpenPage, name: str, *, admin: bool = False) -> Page:
    page = await open_page()
    await log_in(page, name, ADMIN_PASSWORD if admin else USER_PASSWORD)
    return page


def test_the_page_stays_under_150_kb() -> None:
    assert sum(f.stat().st_size for f in STATIC.iterdir()) < 150 * 1024


async def test_every_string_comes_from_the_table_in_a_second_language(room: LiveServer, open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto(room.http_url + "/?lang=de")
    await page.fill("input[name=username]", "alice")
    await page.fill("input[name=password]", USER_PASSWORD)
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("status", name="Verbindungsstatus")).to_have_text("Verbunden, läuft", timeout=WAIT)
    await expect(page.get_by_role("button", name="Steuerung anfordern")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "de"


LOW_CONTRAST = """() => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const light = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let at = el; at; at = at.parentElement) {
      const c = rgba(getComputedStyle(at).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const poor = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || !box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    const [a, b] = [light(rgba(getComputedStyle(el).color)), light(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) poor.push(`${el.tagName} "${el.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
  }
  return poor;
}"""


async def test_every_text_stands_out_from_its_background(open_page: OpenPage) -> None:
    """WCAG's contrast of at least 4.5:1 for every visible text, on the login form and in the room (an
    administrator's, with every panel)."""
    page = await open_page()
    await until_script_ran(page)  # the login form as the page's script leaves it
    assert await page.evaluate(LOW_CONTRAST) == []
    await log_in(page, "admin", ADMIN_PASSWORD)
    await expect(page.get_by_role("status", name="Connection status")).to_have_text("Connected, playing", timeout=WAIT)
    await page.get_by_role("button", name="Connection details").click()
    assert await page.evaluate(LOW_CONTRAST) == []


async def test_sound_and_view(open_page: OpenPage) -> None:
    alice = await person(open_page, "alice")
    video = alice.get_by_label("Room screen")
    assert await video.evaluate("v => v.muted") is True  # autoplay starts muted: the button is the prompt
    await alice.get_by_role("button", name="Unmute").click()
    await expect(alice.get_by_role("button", name="Mute")).to_be_visible()
    assert await video.evaluate("v => v.muted") is False
    assert await alice.evaluate("document.activeElement.id") == "video"
    await alice.get_by_role("slider", name="Volume").fill("30")
    assert await video.evaluate("v => v.volume") == pytest.approx(0.3)
    await alice.get_by_role("slider", name="Volume").fill("0")
    await expect(alice.get_by_role("button", name="Unmute")).to_be_visible()
    await alice.get_by_role("button", name="Fullscreen").click()
    await expect(alice.get_by_role("button", name="Fullscreen")).to_have_attribute("aria-pressed", "true")
    assert await alice.evaluate("document.fullscreenElement.id") == "room"
    await alice.get_by_role("button", name="Fullscreen").click()
    await expect(alice.get_by_role("button", name="Fullscreen")).to_have_attribute("aria-pressed", "false")
    pip = alice.get_by_role("button", name="Picture in picture")
    await pip.click()
    await expect(pip).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    assert await alice.evaluate("document.pictureInPictureElement.id") == "video"
    await pip.click()
    await expect(pip).to_have_attribute("aria-pressed", "false", timeout=WAIT)


async def test_quality_and_resolution(open_page: OpenPage, room: LiveServer) -> None:
    alice = await person(open_page, "alice")
    quality = alice.get_by_role("combobox", name="Quality")
    await expect(quality.get_by_role("option")).to_have_text(["Auto", "main", "low"])
    await expect(quality).to_have_value("")
    await quality.select_option("low")
    me = await alice.evaluate("nekoRoom.state.id")

    async def on_low() -> None:
        while room.app.services.media.viewers[me].video_id != "low":
            await asyncio.sleep(0.1)

    await asyncio.wait_for(on_low(), REPLY)
    await expect(quality).to_have_value("low")
    while await alice.evaluate("document.getElementById('video').videoWidth") != 640:
        await asyncio.sleep(0.1)
    assert room.app.services.media.viewers[me].auto is False  # a stream picked by hand
    await quality.select_option("Auto")
    await expect(quality).to_have_value("")

    async def on_auto() -> None:  # the server's estimator has the choice now
        while not room.app.services.media.viewers[me].auto:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(on_auto(), REPLY)
    # Resolution is for administrators: listed from the desktop's sizes, the current one chosen.
    await expect(alice.get_by_role("combobox", name="Resolution")).to_have_count(0)
    admin = await person(open_page, "admin", admin=True)
    resolution = admin.get_by_role("combobox", name="Resolution")
    token = await admin.evaluate("nekoRoom.state.token")
    async with httpx.AsyncClient(base_url=room.http_url, headers={"Authorization": f"Bearer {token}"}) as http:
        screen = (await http.get("/api/room/screen")).json()
        sizes = (await http.get("/api/room/screen/configurations")).json()
    await expect(resolution).to_have_value(f"{screen['width']}x{screen['height']}@{screen['rate']}", timeout=WAIT)
    listed = [f"{s['width']}x{s['height']}@{s['rate']}" for s in sizes]
    await expect(resolution.get_by_role("option")).to_have_text(listed)


async def test_a_file_uploads_shows_for_the_other_member_and_downloads_identical(
    open_page: OpenPage, shared: Path, tmp_path: Path
) -> None:
    alice = await person(open_page, "alice")
    bob = await person(open_page, "bob")
    content = os.urandom(300_000)
    source = tmp_path / "report ü.bin"
    source.write_bytes(content)
    files = alice.get_by_role("region", name="Files")
    await files.get_by_label("Upload files").set_input_files(source)
    link = bob.get_by_role("region", name="Files").get_by_role("link", name="Download report ü.bin")
    await expect(link).to_be_visible(timeout=WAIT)
    assert (shared / "report ü.bin").read_bytes() == content
    async with bob.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename == "report ü.bin"
    saved = Path(await download.path())
    assert hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(content).digest()
    await bob.get_by_role("button", name="Delete report ü.bin").click()
    await expect(files.get_by_role("link", name="Download report ü.bin")).to_have_count(0, timeout=WAIT)
    assert not (shared / "report ü.bin").exists()


async def test_the_clipboard_crosses_both_ways(open_page: OpenPage, media_display: str) -> None:  # noqa: F811
    alice = await person(open_page, "alice")
    clipboard = alice.get_by_role("textbox", name="Clipboard")
    await expect(clipboard).to_be_disabled()  # only the host's clipboard reaches the desktop
    await alice.get_by_role("button", name="Request control").click()
    await expect(clipboard).to_be_enabled(timeout=WAIT)
    await clipboard.fill("from the page: é ж")
    await clipboard.blur()  # a change is sent when it is made
    # Another X client on the desktop pastes what the page sent ...
    deadline = time.monotonic() + REPLY
    while (
        await asyncio.to_thread(xclip, media_display, "-out", "-target", "UTF8_STRING")
    ).stdout != "from the page: é ж".encode():
        assert time.monotonic() < deadline, "the desktop's clipboard never changed"
        await asyncio.sleep(0.2)
    # ... and what it copies shows in the page.
    with xclip_owner(media_display, "UTF8_STRING", "from the desktop ✓".encode()):
        await expect(clipboard).to_have_value("from the desktop ✓", timeout=WAIT)
    await alice.get_by_role("button", name="Release control").click()
    await expect(clipboard).to_be_disabled(timeout=WAIT)


async def test_the_connection_details_show_a_path_and_a_round_trip_time(
    open_page: OpenPage,
    painter: Painter,  # noqa: F811
) -> None:
    alice = await person(open_page, "alice")
    await alice.get_by_role("button", name="Connection details").click()
    details = alice.get_by_role("region", name="Connection details")
    await expect(details).to_be_visible()
    moving = asyncio.create_task(animate(painter, 10))  # an idle desktop sends no frames to count
    try:
        await expect(details.locator("dd[data-key=path]")).to_have_text(re.compile(r"^(UDP|TCP) (host|srflx|prflx)$"))
        await expect(details.locator("dd[data-key=rtt]")).to_have_text(re.compile(r"^\d+ ms$"), timeout=WAIT)
        await expect(details.locator("dd[data-key=fps]")).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=WAIT)
        await expect(details.locator("dd[data-key=bitrate]")).to_have_text(re.compile(r"^[1-9]\d* kbit/s$"))
        await expect(details.locator("dd[data-key=loss]")).to_have_text(re.compile(r"^\d+(\.\d)? %$"))
        delay = details.locator("dd[data-key=delay]")
        await expect(delay).to_have_text(re.compile(r"^[1-9]\d* ms$"), timeout=WAIT)
    finally:
        moving.cancel()
    await alice.get_by_role("button", name="Connection details").click()
    await expect(details).to_be_hidden()


def shift_down(painter: Painter) -> bool:  # noqa: F811
    keycode = painter.x.keysym_to_keycode(XK.XK_Shift_L)
    return bool(painter.x.query_keymap()[keycode // 8] & (1 << (keycode % 8)))


async def until_shift(painter: Painter, down: bool, within: float = REPLY) -> None:  # noqa: F811
    deadline = time.monotonic() + within
    while shift_down(painter) is not down:
        assert time.monotonic() < deadline, f"Shift is {'up' if down else 'down'} on the desktop"
        await asyncio.sleep(0.05)


async def test_a_key_held_when_focus_leaves_the_video_is_released(open_page: OpenPage, painter: Painter) -> None:  # noqa: F811
    alice = await person(open_page, "alice")
    await alice.get_by_role("button", name="Request control").click()
    await expect(alice.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
    await alice.get_by_label("Room screen").click()
    await alice.keyboard.down("Shift")
    await until_shift(painter, down=True)
    await alice.get_by_role("textbox", name="Chat message").focus()  # focus leaves mid-press
    # Released by the page, well before the server's own guard would let go of a key held too long.
    await until_shift(painter, down=False, within=HELD_INPUT_LIMIT / 2)
    await alice.keyboard.up("Shift")
    await alice.get_by_role("button", name="Release control").click()
