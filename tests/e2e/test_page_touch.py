"""The room's page on a phone (390x844, touch): the video gets the screen, the panels are a sheet, a tap
clicks at the right desktop pixel, two fingers scroll, a long press is a right click, and text typed or
composed (IMEs) on the on-screen keyboard reaches the desktop exactly.

One server with its desktop serves the module; the desktop's window (the painter) records what arrives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from playwright.async_api import CDPSession, Page, expect
from Xlib import X

from nekoapi.media.pulse import PulseServer
from tests.media.conftest import media_display, painter, pulse  # noqa: F401  (fixtures)
from tests.media.desktop import Painter
from tests.media.server import media_server as serving
from tests.support.browser import browser_at, log_in
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

OpenPage = Callable[..., Awaitable[Page]]
WAIT = REPLY * 1000
PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True}


@pytest.fixture(scope="module")
def room(media_display: str, pulse: PulseServer) -> Iterator[LiveServer]:  # noqa: F811
    with serving(media_display, pulse) as server:
        yield server


@pytest.fixture
async def phone(room: LiveServer) -> AsyncIterator[Page]:
    """alice on a phone, hosting, with the sheet closed again."""
    async with browser_at(room.http_url) as open_page:
        page = await open_page(**PHONE)
        await log_in(page, "alice", USER_PASSWORD)
        await page.get_by_role("button", name="Control", exact=True).tap()
        await page.get_by_role("button", name="Request control").tap()
        await expect(page.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
        await page.get_by_role("button", name="Close panels").tap()
        yield page


Received = list[tuple[Any, str]]


async def desktop_events(painter: Painter, until: Callable[[Received], bool]) -> Received:  # noqa: F811
    """What the desktop's window received, each event with the character it types (keymap changes applied
    in order), until ``until`` holds."""
    found: Received = []
    deadline = time.monotonic() + REPLY
    while not until(found):
        while painter.x.pending_events():
            event = painter.x.next_event()
            if event.type == X.MappingNotify:
                painter.x.refresh_keyboard_mapping(event)
            else:
                found.append((event, typed(painter, event) if event.type == X.KeyPress else ""))
        assert time.monotonic() < deadline, f"the desktop received only {[e.type for e, _ in found]}"
        await asyncio.sleep(0.02)
    return found


def typed(painter: Painter, e: Any) -> str:  # noqa: F811
    """The character a client reads from a key press: the key's symbol at the level Shift selects."""
    unshifted, shifted = painter.x.keycode_to_keysym(e.detail, 0), painter.x.keycode_to_keysym(e.detail, 1)
    keysym = (shifted or unshifted) if e.state & X.ShiftMask else unshifted
    return chr(keysym) if keysym < 0x100 else chr(keysym & 0xFFFFFF) if keysym >> 24 == 1 else ""


def presses(found: Received, button: int) -> list[tuple[int, int]]:
    return [(e.root_x, e.root_y) for e, _ in found if e.type == X.ButtonPress and e.detail == button]


async def touch(cdp: CDPSession, kind: str, *points: tuple[float, float]) -> None:
    await cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]})


async def test_the_video_gets_the_screen_and_the_panels_open_as_a_sheet(phone: Page) -> None:
    video = await phone.get_by_label("Room screen").bounding_box()
    stage = await phone.locator("#stage").bounding_box()
    assert video is not None and stage is not None
    assert video["width"] == 390 and stage["height"] > 0.85 * 844, (video, stage)
    panels = phone.get_by_role("complementary", name="Panels")
    await expect(panels).to_be_hidden()
    chat = phone.get_by_role("button", name="Chat", exact=True)
    await chat.tap()
    await expect(panels).to_be_visible()
    await expect(phone.get_by_role("textbox", name="Chat message")).to_be_in_viewport()
    assert await chat.get_attribute("aria-expanded") == "true"
    sheet = await panels.bounding_box()
    assert sheet is not None and sheet["y"] + sheet["height"] == 844 and sheet["height"] <= 0.7 * 844 + 1
    await phone.get_by_role("button", name="Close panels").tap()
    await expect(panels).to_be_hidden()
    await expect(chat).to_be_focused()
    await chat.tap()
    await phone.keyboard.press("Escape")
    await expect(panels).to_be_hidden()


async def test_a_tap_clicks_at_the_right_pixel_and_two_fingers_scroll(phone: Page, painter: Painter) -> None:  # noqa: F811
    box = await phone.get_by_label("Room screen").bounding_box()
    assert box is not None
    x, y = 39, round(box["y"] + box["height"] * 0.75)  # whole CSS pixels, as a finger's position arrives
    where = (round((x - box["x"]) / box["width"] * 1280), round((y - box["y"]) / box["height"] * 720))
    await phone.touchscreen.tap(x, y)
    found = await desktop_events(painter, lambda f: any(e.type == X.ButtonRelease for e, _ in f))
    assert presses(found, 1) == [where] and where[0] == 128
    cdp = await phone.context.new_cdp_session(phone)
    middle = box["y"] + box["height"] / 2
    await touch(cdp, "touchStart", (150, middle), (250, middle))
    for step in range(1, 6):  # both fingers 100 px up: three wheel steps down
        await touch(cdp, "touchMove", (150, middle - 20 * step), (250, middle - 20 * step))
    await touch(cdp, "touchEnd")
    found = await desktop_events(painter, lambda f: len(presses(f, 5)) >= 3)
    assert len(presses(found, 5)) == 3 and not presses(found, 1) and not presses(found, 4)


async def test_a_long_press_is_a_right_click(phone: Page, painter: Painter) -> None:  # noqa: F811
    box = await phone.get_by_label("Room screen").bounding_box()
    assert box is not None
    cdp = await phone.context.new_cdp_session(phone)
    await touch(cdp, "touchStart", (195, box["y"] + box["height"] / 2))
    found = await desktop_events(painter, lambda f: bool(presses(f, 3)))
    await touch(cdp, "touchEnd")
    assert presses(found, 3) == [(640, 360)] and not presses(found, 1)


async def test_typed_and_composed_text_reaches_the_desktop_exactly(phone: Page, painter: Painter) -> None:  # noqa: F811
    await phone.get_by_role("button", name="Keyboard").tap()
    await expect(phone.get_by_role("textbox", name="Keyboard input")).to_be_focused()
    cdp = await phone.context.new_cdp_session(phone)
    text = '<>:"A{}|~ é ü ß € ж'
    await cdp.send("Input.insertText", {"text": text})  # a phone keyboard's text, no key events
    # An IME: the composition's steps stay on the page, its commit reaches the desktop.
    await cdp.send("Input.imeSetComposition", {"text": "にほん", "selectionStart": 3, "selectionEnd": 3})
    await cdp.send("Input.imeSetComposition", {"text": "日本", "selectionStart": 2, "selectionEnd": 2})
    await cdp.send("Input.insertText", {"text": "日本"})
    expected = text + "日本"
    found = await desktop_events(painter, lambda f: len("".join(char for _, char in f)) >= len(expected))
    assert "".join(char for _, char in found) == expected


async def test_keys_on_a_desktop_arrive_as_typed_and_the_hovered_video_takes_them(
    room: LiveServer,
    painter: Painter,  # noqa: F811
) -> None:
    async with browser_at(room.http_url) as open_page:
        page = await open_page()
        await log_in(page, "alice", USER_PASSWORD)
        await page.get_by_role("button", name="Request control").click()
        await expect(page.get_by_role("button", name="Release control")).to_be_visible(timeout=WAIT)
        video = page.get_by_label("Room screen")
        await page.evaluate("document.activeElement.blur()")
        await page.mouse.move(10, 10)
        await video.hover()  # the pointer over the video takes the keys, with a visible ring
        await expect(video).to_be_focused()
        assert await video.evaluate("v => getComputedStyle(v).outlineStyle") == "solid"
        await page.keyboard.down("Shift")
        for key in ("Comma", "KeyA", "Semicolon"):  # "<", "A" and ":" on a US keyboard
            await page.keyboard.press(key)
        await page.keyboard.up("Shift")
        cdp = await page.context.new_cdp_session(page)
        for kind in ("keyDown", "keyUp"):  # "ü" from a German keyboard's key
            await cdp.send("Input.dispatchKeyEvent", {"type": kind, "key": "ü", "code": "BracketLeft", "text": "ü"})
        # Shift let go where the page could not see it: the next key says so, and Shift is released first.
        await page.keyboard.down("Shift")
        unshifted_b = {"key": "b", "code": "KeyB", "text": "b", "modifiers": 0}
        for kind in ("keyDown", "keyUp"):
            await cdp.send("Input.dispatchKeyEvent", {"type": kind, **unshifted_b})
        found = await desktop_events(painter, lambda f: len("".join(char for _, char in f)) >= 5)
        assert "".join(char for _, char in found) == "<A:üb"
        assert not next(e for e, char in found if char == "b").state & X.ShiftMask
        await page.keyboard.up("Shift")
        # A drag that ends outside the video lets go of the button on the desktop too.
        box = await video.bounding_box()
        assert box is not None
        await page.mouse.move(box["x"] + 100, box["y"] + 100)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] + 50, box["y"] + 100)
        await page.mouse.up()
        found = await desktop_events(painter, lambda f: any(e.type == X.ButtonRelease for e, _ in f))
        assert [e.detail for e, _ in found if e.type == X.ButtonRelease] == [1]
