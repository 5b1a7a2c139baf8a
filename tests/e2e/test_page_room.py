"""The room's page as people use it, several at once: the status, the roster, reconnection, control
handed over through the host's dialog, and chat. Controls are found by role and accessible name.

One server (with its desktop) serves the whole module; each test opens its own browser contexts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from playwright.async_api import Locator, Page, Route, expect

from nekoapi.media.pulse import PulseServer
from tests.media.conftest import media_display, painter, pulse  # noqa: F401  (fixtures)
from tests.media.desktop import Painter
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, log_in, shows, until_script_ran
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

OpenPage = Callable[..., Awaitable[Page]]
WAIT = REPLY * 1000  # Playwright's timeouts are in milliseconds
ADMIN = {"username": "admin", "password": ADMIN_PASSWORD}


@pytest.fixture(scope="module")
def room(media_display: str, pulse: PulseServer) -> Iterator[LiveServer]:  # noqa: F811
    with serving(media_display, pulse) as server:
        yield server


@pytest.fixture
async def open_page(room: LiveServer) -> AsyncIterator[OpenPage]:
    async with browser_at(room.http_url) as opener:
        yield opener


@pytest.fixture
async def http(room: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=room.http_url) as client:
        yield client


async def person(open_page: OpenPage, name: str, *, admin: bool = False) -> Page:
    page = await open_page()
    await log_in(page, name, ADMIN_PASSWORD if admin else USER_PASSWORD)
    return page


def status(page: Page) -> Locator:
    return page.get_by_role("status", name="Connection status")


async def frames(page: Page) -> int:
    return int(await page.evaluate("document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames"))


async def plays_on(page: Page, painter: Painter, rgb: tuple[int, int, int]) -> None:  # noqa: F811
    """The video decodes the frames of a new change (not a frozen last picture). An idle desktop sends
    no frames, so the test makes the change itself."""
    before = await frames(page)
    painter.fill(rgb)
    await shows(page, rgb)
    deadline = time.monotonic() + REPLY
    while await frames(page) <= before:
        assert time.monotonic() < deadline, "the video decodes no new frames"
        await asyncio.sleep(0.1)


async def test_the_status_the_labelled_video_and_the_roster(open_page: OpenPage, painter: Painter) -> None:  # noqa: F811
    painter.fill((200, 30, 160))
    alice = await person(open_page, "alice")
    await expect(status(alice)).to_have_text("Connected, playing", timeout=WAIT)
    assert await alice.get_by_label("Room screen").evaluate("v => v.tagName") == "VIDEO"
    await shows(alice, (200, 30, 160))
    bob = await person(open_page, "bob")
    members = alice.get_by_role("list", name="Members")
    await expect(members.get_by_role("listitem").filter(has_text="bob")).to_be_visible(timeout=WAIT)
    await expect(members.get_by_role("listitem").filter(has_text="alice")).to_contain_text("you")
    await bob.context.close()  # bob's browser goes away: alice's roster drops him
    await expect(members.get_by_role("listitem").filter(has_text="bob")).to_have_count(0, timeout=WAIT)


async def test_a_reload_keeps_the_login(open_page: OpenPage, painter: Painter) -> None:  # noqa: F811
    alice = await person(open_page, "alice")
    await alice.reload()
    await expect(alice.get_by_role("button", name="Log in")).to_be_hidden(timeout=WAIT)
    await expect(status(alice)).to_have_text("Connected, playing", timeout=WAIT)
    await plays_on(alice, painter, (230, 150, 20))
    await alice.get_by_role("button", name="Log out").click()
    await expect(alice.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    await alice.reload()  # logged out stays logged out
    await expect(alice.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)


async def test_the_login_form_waits_for_the_page_script(open_page: OpenPage) -> None:
    """Until the page's script runs, the form cannot be sent: sent natively, it would put the password in the URL."""
    page = await open_page()
    loaded = asyncio.Event()

    async def late(route: Route) -> None:
        await loaded.wait()
        await route.continue_()

    await page.route("**/static/main.js", late)
    await page.reload(wait_until="commit")
    log_in_button = page.get_by_role("button", name="Log in")
    await expect(log_in_button).to_be_disabled(timeout=WAIT)
    await page.get_by_label("Username").fill("alice")
    await page.get_by_label("Password").fill(USER_PASSWORD)
    await page.get_by_label("Password").press("Enter")
    assert "password" not in page.url
    loaded.set()
    await expect(log_in_button).to_be_enabled(timeout=WAIT)
    await log_in_button.click()
    await expect(status(page)).to_have_text("Connected, playing", timeout=WAIT)
    assert "password" not in page.url


async def test_a_module_that_did_not_arrive_loads_the_page_again(open_page: OpenPage) -> None:
    """A browser drops requests in flight when its network changes: the page loads itself again."""
    page = await open_page()
    dropped: list[str] = []

    async def once(route: Route) -> None:
        if dropped:
            await route.continue_()
        else:
            dropped.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/static/touch.js", once)
    await page.reload(wait_until="commit")
    await until_script_ran(page, REPLY)
    assert dropped  # the module failed once, and the page came back whole
    await log_in(page, "alice", USER_PASSWORD)
    await expect(status(page)).to_have_text("Connected, playing", timeout=WAIT)


async def test_the_page_reconnects_after_the_server_drops_its_socket(
    open_page: OpenPage,
    http: httpx.AsyncClient,
    room: LiveServer,
    painter: Painter,  # noqa: F811
) -> None:
    alice = await person(open_page, "alice")
    me = await alice.evaluate("nekoRoom.state.id")
    admin = {"Authorization": f"Bearer {(await http.post('/api/login', json=ADMIN)).json()['token']}"}
    await http.post("/api/room/control/request", headers=admin)
    try:
        peer_before = room.app.services.media.viewers[me]
        dropped = await http.post(f"/api/sessions/{me}/disconnect", headers=admin)
        assert dropped.status_code == 204
        await expect(status(alice)).to_contain_text("reconnecting", timeout=WAIT)
        await expect(status(alice)).to_have_text("Connected, playing", timeout=WAIT)
        assert room.app.services.media.viewers[me] is not peer_before  # a new peer, not the old one's last frame
        await plays_on(alice, painter, (40, 220, 90))
        # The roster and the host came back with it.
        await expect(alice.locator("#host")).to_have_text("admin has control", timeout=WAIT)
        members = alice.get_by_role("list", name="Members")
        await expect(members.get_by_role("listitem").filter(has_text="alice")).to_contain_text("you")
    finally:  # the module's later tests start with nobody hosting
        await http.post("/api/room/control/release", headers=admin)


async def test_bob_asks_the_host_for_control_and_is_given_it(open_page: OpenPage) -> None:
    admin = await person(open_page, "admin", admin=True)
    bob = await person(open_page, "bob")
    await admin.get_by_role("button", name="Request control").click()
    await expect(admin.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
    # The button gave the keys back to the desktop: focus is on the video, not on the button.
    assert await admin.evaluate("document.activeElement.id") == "video"
    await expect(bob.locator("#host")).to_have_text("admin has control", timeout=WAIT)
    await bob.get_by_role("button", name="Request control").click()
    await expect(bob.get_by_role("alert").filter(has_text="Request sent to admin")).to_be_visible()
    dialog = admin.get_by_role("alertdialog", name="bob asks for control")
    await expect(dialog).to_be_visible(timeout=WAIT)
    await dialog.get_by_role("button", name="Give control").click()
    await expect(dialog).to_be_hidden()
    await expect(bob.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
    await expect(admin.locator("#host")).to_have_text("bob has control", timeout=WAIT)
    assert await admin.evaluate("document.activeElement.id") == "video"
    # A second request is denied: bob keeps control.
    await admin.get_by_role("button", name="Request control").click()
    denied = bob.get_by_role("alertdialog", name="admin asks for control")
    await denied.get_by_role("button", name="Deny").click()
    await expect(denied).to_be_hidden()
    await expect(bob.get_by_role("button", name="Release control")).to_be_visible()
    # The administrator takes control without asking, then releases it.
    await admin.get_by_role("button", name="Take control").click()
    await expect(admin.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
    await expect(bob.get_by_role("button", name="Request control")).to_be_visible(timeout=WAIT)
    await admin.get_by_role("button", name="Release control").click()
    await expect(bob.locator("#host")).to_have_text("Nobody has control", timeout=WAIT)


async def test_a_chat_message_crosses(open_page: OpenPage) -> None:
    alice = await person(open_page, "alice")
    bob = await person(open_page, "bob")
    await alice.get_by_role("textbox", name="Chat message").fill("hello <b>bob</b> & all")
    await alice.get_by_role("button", name="Send").click()
    line = bob.get_by_role("log", name="Chat").get_by_role("listitem").filter(has_text="hello <b>bob</b> & all")
    await expect(line).to_contain_text("alice", timeout=WAIT)
    await expect(bob.get_by_role("log", name="Chat").locator("b", has_text="bob")).to_have_count(0)  # text, not HTML
    await expect(alice.get_by_role("textbox", name="Chat message")).to_have_value("")
    # The sender gets its own copy.
    await expect(alice.get_by_role("log", name="Chat")).to_contain_text("hello <b>bob</b> & all")


async def test_a_token_the_server_forgot_returns_to_the_login_form(
    open_page: OpenPage, http: httpx.AsyncClient, room: LiveServer
) -> None:
    alice = await person(open_page, "alice")
    me = await alice.evaluate("nekoRoom.state.id")
    # As after a restart that kept no sessions: the page's token is one the server does not know.
    await alice.evaluate("nekoRoom.state.token = 'forgotten'")
    admin = (await http.post("/api/login", json={"username": "root", "password": ADMIN_PASSWORD})).json()
    dropped = await http.post(f"/api/sessions/{me}/disconnect", headers={"Authorization": f"Bearer {admin['token']}"})
    assert dropped.status_code == 204
    await expect(alice.get_by_role("alert").filter(has_text="Your session ended; log in again.")).to_be_visible(
        timeout=WAIT
    )
    await expect(alice.get_by_role("button", name="Log in")).to_be_visible()
    await alice.reload()  # the forgotten token is not kept either
    await expect(alice.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    await log_in(alice, "alice", USER_PASSWORD)
    await expect(status(alice)).to_have_text("Connected, playing", timeout=WAIT)
