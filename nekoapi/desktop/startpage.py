"""After the browser starts, CDP clients wait until its start pages have committed their first document.

A tab opens on an initial empty document and then commits its start page (the new-tab page), in
another renderer. A client that attaches to the tab between the two may never be told of that
commit: Chromium sends no ``Page.frameNavigated`` for it to a session enabled mid-commit. Playwright's
``connect_over_cdp`` waits for that event before it returns, so it would hang until its timeout,
and nekoapi restarts the browser often (a profile reset or import, an exit). So the link is handed
to clients once every page shows a committed document (asked with ``Page.getFrameTree`` on a session
of nekoapi's own), or after ``START_PAGES_WAIT`` at most: a start page that never loads must not lock
clients out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from .. import errors

log = logging.getLogger("nekoapi.desktop.cdp")

START_PAGES_WAIT = 20.0
POLL_INTERVAL = 0.1
# The main frame's url while it shows the initial empty document (as Playwright tells it apart).
INITIAL_DOCUMENT = ("", ":")


class Link(Protocol):
    closed: asyncio.Event

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]: ...


async def start_pages_committed(link: Link) -> None:
    """Returns once every page of the browser shows a committed document, the link closed, or the bound passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_PAGES_WAIT
    while not link.closed.is_set():
        with contextlib.suppress(errors.AutomationUnavailable):  # a page closing meanwhile: ask again
            if await _all_committed(link):
                return
        if loop.time() >= deadline:
            log.warning("the browser's start page did not load in %.0f s; CDP clients are let in", START_PAGES_WAIT)
            return
        await asyncio.sleep(POLL_INTERVAL)


async def _all_committed(link: Link) -> bool:
    targets = (await link.call("Target.getTargets")).get("targetInfos", [])
    pages = [target["targetId"] for target in targets if target.get("type") == "page"]
    if not pages:
        return False  # the window has not opened yet
    for page in pages:
        if not await _committed(link, page):
            return False
    return True


async def _committed(link: Link, target: str) -> bool:
    attached = await link.call("Target.attachToTarget", {"targetId": target, "flatten": True})
    session = attached["sessionId"]
    try:
        tree = await link.call("Page.getFrameTree", session=session)
    finally:
        with contextlib.suppress(errors.AutomationUnavailable):
            await link.call("Target.detachFromTarget", {"sessionId": session})
    return tree["frameTree"]["frame"].get("url") not in INITIAL_DOCUMENT
