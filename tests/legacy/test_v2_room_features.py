"""What the v2 UI starts in the room beyond the desktop: open in app, and the broadcast it creates and
destroys (its success paths; the refusals are in test_v2_socket.py)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from nekoapi.desktop.xserver import XServer
from tests.support.display import attach_display
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import live_server
from tests.support.patience import REPLY
from tests.support.rtmp_receiver import RtmpReceiver

from .v2client import V2Client


async def test_a_v2_host_opens_a_link_in_the_room(tmp_path: Path) -> None:
    record = tmp_path / "opened.txt"
    opener = tmp_path / "fake-open"  # a stand-in for xdg-open that writes its arguments
    opener.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {record}\n')
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    config = make_config(NEKO_OPENINAPP_ENABLED="true", NEKO_OPENINAPP_OPEN_COMMAND=str(opener))
    with live_server(config) as server:
        server.app.services.plugins.openinapp.attach_display(":42")
        alice = await V2Client.connect(server.port, ADMIN_PASSWORD, "alice")
        try:
            await alice.events_until("signal/provide")
            await alice.send("control/request")
            await alice.wait_for("control/locked")
            await alice.send("openinapp/openlink", text="https://example.com/from-v2")
            assert await _lines(record) == ["https://example.com/from-v2"]
        finally:
            await alice.close()


async def test_a_v2_admin_creates_and_destroys_the_broadcast(x_server: XServer, tmp_path: Path) -> None:
    receiver = RtmpReceiver(tmp_path)
    try:
        with live_server(make_config()) as server:
            attach_display(server.app.services, x_server.display)
            alice = await V2Client.connect(server.port, ADMIN_PASSWORD, "alice")
            try:
                await alice.events_until("signal/provide")
                await alice.send("broadcast/create", url=receiver.url)
                started = await alice.wait_for("broadcast/status", isActive=True)
                assert started == {"event": "broadcast/status", "url": receiver.url, "isActive": True}
                await asyncio.to_thread(receiver.receiving)
                await alice.send("broadcast/destroy")
                assert (await alice.wait_for("broadcast/status", isActive=False))["url"] == receiver.url
            finally:
                await alice.close()
        assert await asyncio.to_thread(receiver.finished) == 0  # the stream ended properly
        assert receiver.frames()
    finally:
        if receiver.process.poll() is None:
            receiver.kill()


async def _lines(record: Path) -> list[str]:
    deadline = asyncio.get_running_loop().time() + REPLY
    while asyncio.get_running_loop().time() < deadline:  # the command runs in the background
        if record.exists() and record.read_text():
            return record.read_text().splitlines()
        await asyncio.sleep(0.05)
    return []
