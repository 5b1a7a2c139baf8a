"""The media on nekoapi's own desktop (DesktopManager on the shared x_server), as after `make run`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from Xlib.display import Display

from nekoapi.desktop.xserver import XServer
from nekoapi.media.pulse import PulseServer
from tests.support.factory import USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server
from tests.support.patience import REPLY

from .client import Viewer


@pytest.fixture
def desktop_server(x_server: XServer, pulse: PulseServer) -> Iterator[LiveServer]:
    config = make_config(
        NEKO_DESKTOP_ENABLED="true",
        NEKO_DESKTOP_DISPLAY=x_server.display,
        NEKO_DESKTOP_APP="",
        NEKO_CAPTURE_PULSE_SERVER=pulse.server,
    )
    with live_server(config) as server:
        yield server


def pointer(display: str) -> tuple[int, int]:
    connection = Display(display)
    try:
        reply = connection.screen().root.query_pointer()
        return reply.root_x, reply.root_y
    finally:
        connection.close()


async def test_the_desktops_screen_is_streamed_and_driven(desktop_server: LiveServer, x_server: XServer) -> None:
    client = Viewer(desktop_server.http_url, desktop_server.ws_url())
    try:
        await client.login("alice", USER_PASSWORD)
        assert client.ws is not None
        await client.ws.send("control/request")
        await client.ws.wait_for("control/host", host_id=client.id)
        await client.watch()
        frame = await client.frame()
        size = desktop_server.app.services.desktop.screen()
        assert (frame.width, frame.height) == (size["width"], size["height"])
        client.channel.send(b"\x01\x00\x07" + (77).to_bytes(2, "big") + (66).to_bytes(2, "big"))
        deadline = time.monotonic() + REPLY
        while await asyncio.to_thread(pointer, x_server.display) != (77, 66):
            assert time.monotonic() < deadline, "the desktop's pointer did not move"
            await asyncio.sleep(0.05)
    finally:
        await client.close()
