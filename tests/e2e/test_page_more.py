"""The room's page, the rest of what Neko's UI offers and more: emotes and emoji, the broadcast for
administrators, the microphone, files dropped on the video, personal settings, the shortcuts dialog,
a second tab of the same login, and playing again after a server restart. Controls are found by role
and accessible name, as people (and screen readers) find them.

One server (with its desktop) serves the module; the restart test has a server of its own.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from nekoapi.media.pulse import PulseServer
from tests.desktop.xdnd_target import DropTarget
from tests.media.conftest import media_display, pulse  # noqa: F401  (fixtures)
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, closed, log_in
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY
from tests.support.process import free_port
from tests.support.rtmp_receiver import RtmpReceiver

OpenPage = Callable[..., Awaitable[Page]]
pytestmark = pytest.mark.asyncio(loop_scope="module")
WAIT = REPLY * 1000  # Playwright's timeouts are in milliseconds


@pytest.fixture(scope="module")
def room(media_display: str, pulse: PulseServer) -> Iterator[LiveServer]:  # noqa: F811
    cast = {"NEKO_CAPTURE_SCREENCAST_ENABLED": "true"}  # what a second tab watches
    with serving(media_display, pulse, NEKO_CAPTURE_BROADCAST_FPS="10", **cast) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(room: LiveServer) -> AsyncIterator[OpenPage]:
    async with browser_at(room.http_url) as opener:  # one Chromium for the module: each launch costs seconds
        yield opener


@pytest_asyncio.fixture(loop_scope="module")
async def open_page(browser: OpenPage) -> AsyncIterator[OpenPage]:
    """Pages in browser contexts of their own (other people's browsers), closed after the test."""
    pages: list[Page] = []
    errors: list[str] = []

    async def opened(*args: int) -> Page:
        page = await browser(*args)
        watch_errors(page, errors)
        pages.append(page)
        return page

    yield opened
    for page in pages:
        await closed(page.context.close())
    assert not errors, errors  # the page logged no error and threw nothing


def watch_errors(page: Page, errors: list[str]) -> None:
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))


async def person(open_page: OpenPage, name: str, *, admin: bool = False, video: bool = True) -> Page:
    """A member logged in through the form; with ``video``, once the video plays, else once the room is open."""
    page = await open_page()
    password = ADMIN_PASSWORD if admin else USER_PASSWORD
    if video:
        await log_in(page, name, password)
        return page
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("status", name="Connection status")).to_have_text(
        re.compile("^Connected"), timeout=WAIT
    )
    return page


async def take_control(page: Page) -> None:
    await page.get_by_role("button", name="Request control").click()
    await expect(page.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)


async def until(check: Callable[[], bool], what: str, within: float = REPLY) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def until_async(check: Callable[[], Awaitable[bool]], what: str, within: float = REPLY) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_an_emote_and_an_emoji_reach_the_other_member(open_page: OpenPage) -> None:
    alice = await person(open_page, "alice", video=False)
    bob = await person(open_page, "bob", video=False)
    await alice.get_by_role("group", name="Emotes").get_by_role("button", name="wave").click()
    await expect(bob.get_by_role("img", name="alice: wave")).to_be_visible(timeout=WAIT)
    await expect(alice.get_by_role("img", name="alice: wave")).to_be_visible()  # the sender sees its own
    # Every emote is in the full list, reachable by keyboard; the one used moves to the quick ones.
    await alice.get_by_role("button", name="More emotes").click()
    await alice.get_by_role("group", name="Choose an emote").get_by_role("button", name="party").click()
    await expect(bob.get_by_role("img", name="alice: party")).to_be_visible(timeout=WAIT)
    await expect(alice.get_by_role("group", name="Emotes").get_by_role("button").first).to_have_accessible_name("party")
    # The emoji picker puts a character into the chat line, and it crosses as text.
    await alice.get_by_role("textbox", name="Chat message").fill("great ")
    await alice.get_by_role("button", name="Emoji").click()
    await alice.get_by_role("group", name="Choose an emoji").get_by_role("button", name="love").click()
    await expect(alice.get_by_role("textbox", name="Chat message")).to_have_value("great \U0001f60d")
    await alice.get_by_role("button", name="Send").click()
    await expect(bob.get_by_role("log", name="Chat")).to_contain_text("great \U0001f60d", timeout=WAIT)


async def test_an_admin_broadcasts_to_an_rtmp_receiver(open_page: OpenPage, tmp_path: Path) -> None:
    admin = await person(open_page, "admin", admin=True, video=False)
    bob = await person(open_page, "bob", video=False)
    form = admin.get_by_role("form", name="Broadcast")
    status = form.get_by_role("status", name="Broadcast status")
    await expect(status).to_have_text("Not broadcasting")
    receiver = RtmpReceiver(tmp_path)
    try:
        await form.get_by_role("textbox", name="Broadcast URL").fill(receiver.url)
        await form.get_by_role("button", name="Start broadcast").click()
        await expect(status).to_have_text(f"Broadcasting to {receiver.url}", timeout=WAIT)
        await asyncio.to_thread(receiver.receiving)
        await form.get_by_role("button", name="Stop broadcast").click()
        await expect(status).to_have_text("Not broadcasting", timeout=WAIT)
        assert await asyncio.to_thread(receiver.finished) == 0
    finally:
        if receiver.process.poll() is None:
            receiver.kill()
    await expect(bob.get_by_role("form", name="Broadcast")).to_have_count(0)  # administrators only


async def test_the_microphone_reaches_the_desktop(open_page: OpenPage, room: LiveServer) -> None:
    alice = await person(open_page, "alice")
    me = await alice.evaluate("nekoRoom.state.id")
    microphone = alice.get_by_role("button", name="Microphone")
    await expect(microphone).to_have_attribute("aria-pressed", "false")
    await microphone.click()
    await expect(microphone).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    viewer = room.app.services.media.viewers[me]
    await until(lambda: bool(viewer.remote) and not viewer.remote[0].done(), "the server plays no microphone track")
    assert await alice.evaluate("document.getElementById('video').videoWidth") > 0  # the video goes on
    await microphone.click()
    await expect(microphone).to_have_attribute("aria-pressed", "false")


DROP = """([x, y]) => {
  const data = new DataTransfer();
  data.items.add(new File(["dropped from the page"], "dropped.txt", { type: "text/plain" }));
  const video = document.getElementById("video");
  const box = video.getBoundingClientRect();
  const at = { clientX: box.left + (x + 0.5) * box.width / video.videoWidth,
    clientY: box.top + (y + 0.5) * box.height / video.videoHeight,
    bubbles: true, cancelable: true, dataTransfer: data };
  video.dispatchEvent(new DragEvent("dragover", at));
  video.dispatchEvent(new DragEvent("drop", at));
}"""


async def test_a_file_dropped_on_the_video_lands_on_the_window_at_that_point(
    open_page: OpenPage,
    media_display: str,  # noqa: F811
) -> None:
    target = DropTarget(media_display, (100, 80, 300, 200))
    try:
        alice = await person(open_page, "alice")
        await alice.evaluate(DROP, [250, 180])
        await expect(alice.get_by_role("alert").filter(has_text="Take control to drop files")).to_be_visible()
        await take_control(alice)
        await alice.evaluate(DROP, [250, 180])
        await expect(alice.get_by_role("alert").filter(has_text="Dropped dropped.txt at 250, 180")).to_be_visible(
            timeout=WAIT
        )
        assert await asyncio.to_thread(target.received.done.wait, REPLY)
        assert target.received.contents == {"dropped.txt": b"dropped from the page"}
        assert (250, 180) in target.received.positions
        await alice.get_by_role("button", name="Release control").click()
    finally:
        target.close()


async def test_the_settings_are_remembered_and_used(open_page: OpenPage, room: LiveServer) -> None:
    alice = await person(open_page, "alice")
    await alice.get_by_role("combobox", name="Keyboard layout").select_option("de")
    await alice.get_by_role("slider", name="Scroll sensitivity").fill("3")
    await alice.get_by_role("checkbox", name="Invert scrolling").check()
    await alice.reload()
    await expect(alice.get_by_role("combobox", name="Keyboard layout")).to_have_value("de", timeout=WAIT)
    await expect(alice.get_by_role("slider", name="Scroll sensitivity")).to_have_value("3")
    await expect(alice.get_by_role("checkbox", name="Invert scrolling")).to_be_checked()
    await expect(alice.get_by_role("status", name="Connection status")).to_have_text("Connected, playing", timeout=WAIT)
    # Control arrives: the desktop gets alice's layout.
    await take_control(alice)
    token = await alice.evaluate("nekoRoom.state.token")
    async with httpx.AsyncClient(base_url=room.http_url, headers={"Authorization": f"Bearer {token}"}) as http:
        deadline = time.monotonic() + REPLY
        while (await http.get("/api/room/keyboard/map")).json().get("layout") != "de":
            assert time.monotonic() < deadline, "the desktop's layout never became de"
            await asyncio.sleep(0.1)
    # One notch down scrolls three steps, upwards (inverted): Neko's scroll message, op 2, dy = +3.
    sent = await alice.evaluate("""async () => {
      const channel = nekoRoom.state.channel;
      const seen = [];
      const send = channel.send.bind(channel);
      channel.send = (b) => { seen.push([...new Uint8Array(b)]); send(b); };
      const video = document.getElementById("video");
      const box = video.getBoundingClientRect();
      video.dispatchEvent(new WheelEvent("wheel", { deltaY: 100, clientX: box.left + 5, clientY: box.top + 5,
        bubbles: true, cancelable: true }));
      channel.send = send;
      return seen;
    }""")
    assert [2, 0, 8, 0, 0, 0, 3, 0] in sent, sent
    await alice.get_by_role("button", name="Release control").click()


async def test_the_shortcuts_dialog_lists_every_action_and_a_shortcut_works(open_page: OpenPage) -> None:
    alice = await person(open_page, "alice", video=False)
    await alice.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = alice.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    for action in ("Request or release control", "Mute or unmute", "Fullscreen", "Write in the chat", "Microphone"):
        await expect(dialog.get_by_role("row").filter(has_text=action)).to_have_count(1)
    await alice.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert await alice.evaluate("document.activeElement.textContent") == "Keyboard shortcuts"  # focus came back
    await alice.keyboard.press("?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Close").click()
    await alice.keyboard.press("m")  # unmutes
    await expect(alice.get_by_role("button", name="Mute")).to_be_visible()
    assert await alice.evaluate("document.getElementById('video').muted") is False
    await alice.keyboard.press("/")
    await expect(alice.get_by_role("textbox", name="Chat message")).to_be_focused()
    await alice.keyboard.type("m")  # typed into the chat line, not a shortcut
    await expect(alice.get_by_role("button", name="Mute")).to_be_visible()
    await expect(alice.get_by_role("textbox", name="Chat message")).to_have_value("m")


REPLACED = "This room went on in another tab of this browser."


def playing(page: Page) -> Awaitable[None]:
    return expect(page.get_by_role("status", name="Connection status")).to_have_text("Connected, playing", timeout=WAIT)


async def test_a_second_tab_takes_over_and_the_first_can_take_it_back(open_page: OpenPage) -> None:
    first = await person(open_page, "alice")
    second = await first.context.new_page()  # the same browser: the login is shared
    errors: list[str] = []
    watch_errors(second, errors)
    await second.goto(first.url)
    choice = second.get_by_role("alertdialog", name="This room is open in another tab of this browser.")
    await expect(choice).to_be_visible(timeout=WAIT)
    await expect(second.get_by_role("button", name="Log in")).to_be_hidden()
    # Watching first: the screencast's pictures, while the first tab keeps playing.
    await choice.get_by_role("button", name="Watch here").click()
    watched = second.get_by_role("img", name="Room screen")
    await expect(watched).to_be_visible(timeout=WAIT)
    await until_async(lambda: watched.evaluate("img => img.naturalWidth > 0"), "the watching tab shows no picture")
    await expect(first.get_by_role("status", name="Connection status")).to_have_text("Connected, playing")
    await choice.get_by_role("button", name="Take over").click()
    await expect(watched).to_have_count(0)
    await playing(second)
    back = first.get_by_role("alertdialog", name=REPLACED)
    await expect(back).to_be_visible(timeout=WAIT)
    await back.get_by_role("button", name="Take over").click()
    await playing(first)
    await expect(second.get_by_role("alertdialog", name=REPLACED)).to_be_visible(timeout=WAIT)
    # Logging out in one tab logs out the other.
    await first.get_by_role("button", name="Log out").click()
    await expect(second.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    assert not errors, errors


async def test_the_page_plays_again_by_itself_after_a_server_restart(
    media_display: str,  # noqa: F811
    pulse: PulseServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    port = free_port()
    keep = {"NEKO_SESSION_FILE": str(tmp_path / "sessions.db")}  # the sessions outlive the process
    first = serving(media_display, pulse, port=port, **keep)
    server = first.__enter__()
    try:
        async with browser_at(server.http_url) as open_page:
            alice = await person(open_page, "alice")
            status = alice.get_by_role("status", name="Connection status")
            await expect(status).to_have_text("Connected, playing", timeout=WAIT)
            await asyncio.to_thread(first.__exit__, None, None, None)  # the server goes; the browser stays
            first = None
            await expect(status).not_to_have_text("Connected, playing", timeout=WAIT)
            with serving(media_display, pulse, port=port, **keep):
                started = time.monotonic()
                await expect(status).to_have_text("Connected, playing", timeout=10_000)
                while await alice.evaluate("document.getElementById('video').videoWidth") == 0:
                    assert time.monotonic() - started < 10, "the page did not play again within 10 s"
                    await asyncio.sleep(0.1)
                await expect(alice.get_by_role("button", name="Log in")).to_be_hidden()
    finally:
        if first is not None:
            first.__exit__(None, None, None)
