"""The room's page for administrators: the member menu (give control, mute, kick, ban) and the room's
settings, against stored members (sqlite) so that a profile can change. Controls are found by role and name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from nekoapi.media.pulse import PulseServer
from tests.media.conftest import media_display, pulse  # noqa: F401  (fixtures)
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, log_in
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

OpenPage = Callable[..., Awaitable[Page]]
WAIT = REPLY * 1000
MEMBERS = ("alice", "bob", "carol")


@pytest.fixture(scope="module")
def room(media_display: str, pulse: PulseServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # noqa: F811
    database = Path(tmp_path_factory.mktemp("members")) / "members.db"
    with serving(media_display, pulse, NEKO_MEMBER_PROVIDER="sqlite", NEKO_MEMBER_SQLITE_PATH=str(database)) as server:
        admin = httpx.post(f"{server.http_url}/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        bearer = {"Authorization": f"Bearer {admin.json()['token']}"}
        # root: a second administrator for the test's own API calls (a login replaces the member's session).
        for name, profile in [(name, {"name": name}) for name in MEMBERS] + [("root", {"is_admin": True})]:
            made = httpx.post(
                f"{server.http_url}/api/members",
                headers=bearer,
                json={"username": name, "password": USER_PASSWORD, "profile": profile},
            )
            assert made.status_code == 200, made.text
        yield server


@pytest.fixture
async def open_page(room: LiveServer) -> AsyncIterator[OpenPage]:
    async with browser_at(room.http_url) as opener:
        yield opener


@pytest.fixture
async def admin_api(room: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    # A connection for each call: the test's pages take longer than the server's 5 s keep-alive between
    # two calls, and a POST on a connection the server is closing at that moment is not retried.
    no_keep_alive = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=room.http_url, limits=no_keep_alive) as client:
        login = (await client.post("/api/login", json={"username": "root", "password": USER_PASSWORD})).json()
        client.headers["Authorization"] = f"Bearer {login['token']}"
        yield client


async def person(open_page: OpenPage, name: str, password: str = USER_PASSWORD) -> Page:
    page = await open_page()
    await log_in(page, name, password)
    return page


async def choose(page: Page, member: str, action: str) -> None:
    await page.get_by_role("button", name=f"Actions for {member}").click()
    await page.get_by_role("menu", name=f"Actions for {member}").get_by_role("menuitem", name=action).click()


async def test_an_admin_gives_control_mutes_and_kicks(open_page: OpenPage, admin_api: httpx.AsyncClient) -> None:
    admin = await person(open_page, "admin", ADMIN_PASSWORD)
    bob = await person(open_page, "bob")
    await admin.get_by_role("button", name="Actions for bob").click()
    items = admin.get_by_role("menu", name="Actions for bob").get_by_role("menuitem")
    await expect(items).to_have_text(["Give control", "Kick", "Mute", "Ban"])
    await items.filter(has_text="Give control").click()
    await expect(bob.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
    assert await admin.evaluate("document.activeElement.id") == "video"
    assert (await admin_api.post("/api/room/control/reset")).status_code == 204

    await choose(admin, "bob", "Mute")
    await expect(admin.get_by_role("button", name="Actions for bob")).to_be_visible()
    await admin.get_by_role("button", name="Actions for bob").click()
    await expect(admin.get_by_role("menuitem", name="Unmute")).to_be_visible(timeout=WAIT)
    stored = (await admin_api.get("/api/members/bob")).json()
    assert stored["plugins"]["chat.can_send"] is False, stored
    await admin.get_by_role("menuitem", name="Unmute").click()
    await admin.get_by_role("button", name="Actions for bob").click()
    await expect(admin.get_by_role("menuitem", name="Mute")).to_be_visible(timeout=WAIT)
    await admin.get_by_role("button", name="Actions for bob").click()  # closes the menu again

    await choose(admin, "bob", "Kick")
    # bob sees why, and the page does not come back by itself.
    await expect(bob.get_by_role("status", name="Connection status")).to_have_text(
        "Disconnected: session deleted", timeout=WAIT
    )
    await expect(admin.get_by_role("list", name="Members")).not_to_contain_text("bob", timeout=WAIT)


async def test_an_admin_bans_a_member_who_cannot_come_back(open_page: OpenPage, room: LiveServer) -> None:
    admin = await person(open_page, "admin", ADMIN_PASSWORD)
    carol = await person(open_page, "carol")
    await choose(admin, "carol", "Ban")
    await expect(carol.get_by_role("status", name="Connection status")).to_contain_text("Disconnected", timeout=WAIT)
    again = await open_page()
    await again.fill("input[name=username]", "carol")
    await again.fill("input[name=password]", USER_PASSWORD)
    await again.get_by_role("button", name="Log in").click()
    await expect(again.get_by_role("alert").first).not_to_be_empty(timeout=WAIT)
    await expect(again.get_by_role("button", name="Log in")).to_be_visible()


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Lock logins", "locked_logins"),
        ("Lock controls", "locked_controls"),
        ("Private mode", "private_mode"),
        ("Implicit hosting", "implicit_hosting"),
    ],
)
async def test_room_settings_are_checkboxes_for_admins(
    open_page: OpenPage, admin_api: httpx.AsyncClient, label: str, field: str
) -> None:
    admin = await person(open_page, "admin", ADMIN_PASSWORD)
    box = admin.get_by_role("checkbox", name=label)
    before = (await admin_api.get("/api/room/settings")).json()[field]
    await expect(box).to_be_checked(checked=before)
    await box.click()
    await expect(box).to_be_checked(checked=not before)
    settings = (await admin_api.get("/api/room/settings")).json()
    assert settings[field] is (not before)
    # A change made elsewhere shows too.
    assert (await admin_api.post("/api/room/settings", json={field: before})).status_code == 204
    await expect(box).to_be_checked(checked=before, timeout=WAIT)
