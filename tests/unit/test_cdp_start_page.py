"""CDP clients reach a browser that has just started once its start page shows: not mid-commit, not never."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nekoapi import errors
from nekoapi.desktop import startpage
from nekoapi.desktop.cdp import DevTools
from nekoapi.desktop.chromium import DevToolsPipe

from .test_cdp_router import Client, FakeBrowser

NEW_TAB = "chrome://new-tab-page/"


class StartingBrowser(FakeBrowser):
    """One tab on its initial empty document, which commits its start page after ``empty_for`` looks."""

    def __init__(self, pipe: DevToolsPipe, empty_for: int) -> None:
        super().__init__(pipe)
        self.empty_for = empty_for

    def _answer(self, message: dict[str, Any]) -> None:
        method = message["method"]
        if method == "Target.getTargets":
            self.seen.append(message)
            page = {"targetId": "T1", "type": "page", "url": NEW_TAB}  # the url it is going to
            self._send({"id": message["id"], "result": {"targetInfos": [{"type": "browser"}, page]}})
        elif method == "Page.getFrameTree":
            self.seen.append(message)
            url = "" if self.empty_for > 0 else NEW_TAB
            self.empty_for -= 1
            reply = {"id": message["id"], "sessionId": message["sessionId"]}
            self._send({**reply, "result": {"frameTree": {"frame": {"id": "T1", "url": url}}}})
        else:
            super()._answer(message)


@pytest.fixture
async def devtools() -> Any:
    room = DevTools(lambda: None)
    yield room
    await room.stop()


async def start(devtools: DevTools, empty_for: int) -> StartingBrowser:
    pipe = DevToolsPipe()
    browser = StartingBrowser(pipe, empty_for)
    devtools.on_devtools(pipe)
    return browser


async def test_a_client_is_attached_only_once_the_start_page_has_committed(devtools: DevTools) -> None:
    browser = await start(devtools, empty_for=3)
    await asyncio.wait_for(devtools.connect(Client(), "alice"), 10)
    methods = [m["method"] for m in browser.seen]
    looks = [i for i, method in enumerate(methods) if method == "Page.getFrameTree"]
    assert len(looks) == 4  # three on the empty document, one on the start page
    assert methods.index("Target.attachToBrowserTarget") > looks[-1]
    # nekoapi's own page sessions are detached again: the client finds the tab as the browser left it.
    assert methods.count("Target.attachToTarget") == methods.count("Target.detachFromTarget") == 4
    browser.exit()


async def test_a_start_page_that_never_loads_does_not_lock_clients_out(
    devtools: DevTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(startpage, "START_PAGES_WAIT", 0.5)
    browser = await start(devtools, empty_for=10**6)
    _, route = await asyncio.wait_for(devtools.connect(Client(), "alice"), 10)
    assert route.owner == "alice"
    browser.exit()


async def test_a_browser_that_exits_while_it_starts_refuses_the_waiting_client(devtools: DevTools) -> None:
    browser = await start(devtools, empty_for=10**6)
    waiting = asyncio.create_task(devtools.connect(Client(), "alice"))
    async with asyncio.timeout(10):
        while not any(m["method"] == "Page.getFrameTree" for m in browser.seen):
            await asyncio.sleep(0.01)
    browser.exit()
    with pytest.raises(errors.AutomationUnavailable):
        await asyncio.wait_for(waiting, 10)
