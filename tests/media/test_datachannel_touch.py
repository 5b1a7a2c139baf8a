"""Neko's TOUCH_* messages on the data channel, from a v3 client, on a real server and X display."""

from __future__ import annotations

import asyncio
import struct
import time

from Xlib import X

from tests.support.patience import REPLY

from .client import Viewer
from .desktop import Painter, pointer_at
from .test_webrtc_datachannel import host

TOUCH_BEGIN, TOUCH_UPDATE, TOUCH_END = 0x08, 0x09, 0x0A


def touch(op: int, touch_id: int, x: int, y: int) -> bytes:
    return struct.pack(">BHIiiB", op, 16, touch_id, x, y, 128)


async def buttons(painter: Painter, count: int) -> list[tuple[int, int, int, int]]:
    seen: list[tuple[int, int, int, int]] = []
    deadline = time.monotonic() + REPLY
    while len(seen) < count:
        while painter.x.pending_events():
            e = painter.x.next_event()
            if e.type in (X.ButtonPress, X.ButtonRelease):
                seen.append((e.type, e.detail, e.root_x, e.root_y))
        assert time.monotonic() < deadline, f"only {seen} reached the window"
        await asyncio.sleep(0.02)
    return seen


async def test_the_hosts_touch_moves_and_clicks_the_pointer(viewer: Viewer, painter: Painter) -> None:
    await viewer.watch()
    viewer.channel.send(touch(TOUCH_BEGIN, 3, 400, 300))  # not hosting yet: dropped
    await asyncio.sleep(0.2)
    await host(viewer)
    viewer.channel.send(touch(TOUCH_BEGIN, 5, 210, 120))
    viewer.channel.send(touch(TOUCH_UPDATE, 5, 250, 140))
    await pointer_at(painter, (250, 140))
    viewer.channel.send(touch(TOUCH_END, 5, 260, 150))
    assert await buttons(painter, 2) == [(X.ButtonPress, 1, 210, 120), (X.ButtonRelease, 1, 260, 150)]
