"""control/paste with text: the clipboard is set first (ours), then Ctrl+V goes to the focused window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nekoapi.desktop.xserver import XServer
from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.patience import REPLY

from .io_support import chromium, click, host, wait_for_title, xclip

pytestmark = pytest.mark.desktop
PAGE = Path(__file__).parent / "pages" / "paste.html"


@pytest.fixture
def live(x_server: XServer) -> Iterator[LiveServer]:
    config = make_config(NEKO_DESKTOP_ENABLED="true", NEKO_DESKTOP_DISPLAY=x_server.display, NEKO_DESKTOP_APP="")
    with live_server(config) as server:
        yield server


async def test_paste_with_text_types_it_into_the_page(live: LiveServer, x_server: XServer) -> None:
    display = x_server.display
    with chromium(display, PAGE):
        wait_for_title(display, "paste-ready")
        click(display, 400, 300)  # focuses the textarea
        async with ApiClient(base_url=live.http_url, timeout=REPLY) as http:
            me = await host(http)
        events = await EventClient.connect(live.ws_url(me.token))
        try:
            await events.wait_for("system/init")
            await events.send("control/paste", {"text": "pasted from the client"})
            assert wait_for_title(display, "pasted:", 10) == "pasted:pasted from the client"
            assert xclip(display, "-out").stdout == b"pasted from the client"
        finally:
            await events.close()
