"""The data channel "data" in Neko's binary protocol, on a real server and X display."""

from __future__ import annotations

import asyncio
import struct
import time

from Xlib import Xcursorfont

from nekoapi.media import datachannel
from tests.support.patience import REPLY

from .client import Viewer, room_settings
from .conftest import Join
from .desktop import Painter, pointer_at


async def host(client: Viewer) -> None:
    assert client.ws is not None
    await client.ws.send("control/request")
    await client.ws.wait_for("control/host", has_host=True, host_id=client.id)


async def next_op(client: Viewer, op: int) -> bytes:
    while True:
        message = await client.message()
        if message[0] == op:
            return message


async def test_ping_gets_its_pong(viewer: Viewer) -> None:
    await viewer.watch()
    sent = int(time.time() * 1000)
    hi, lo = divmod(sent, 2**32 - 1)
    viewer.channel.send(struct.pack(">BHII", 0x07, 11, hi, lo))
    pong = await next_op(viewer, 0x03)
    _op, length, c_hi, c_lo, s_hi, s_lo = struct.unpack(">BHIIII", pong)
    assert (length, c_hi, c_lo) == (19, hi, lo)
    assert abs(datachannel.ping_ms(s_hi, s_lo) - sent) < 5000


async def test_the_hosts_input_reaches_the_x_server(viewer: Viewer, painter: Painter) -> None:
    await host(viewer)
    await viewer.watch()
    viewer.channel.send(struct.pack(">BHHH", 0x01, 7, 321, 123))
    await pointer_at(painter, (321, 123))
    viewer.channel.send(struct.pack(">BHI", 0x05, 7, 1))
    viewer.channel.send(struct.pack(">BHI", 0x06, 7, 1))
    deadline = time.monotonic() + REPLY
    while True:
        if painter.x.pending_events():
            event = painter.x.next_event()
            if event.type == 4:  # ButtonPress
                assert (event.detail, event.root_x, event.root_y) == (1, 321, 123)
                break
        assert time.monotonic() < deadline, "the click never reached the window"
        await asyncio.sleep(0.02)


async def test_a_non_hosts_move_is_an_inactive_cursor_not_input(join: Join, painter: Painter) -> None:
    hosting, watching = await join("host", admin=True), await join("guest")  # admins see inactive cursors
    await host(hosting)
    await hosting.watch()
    await watching.watch()
    hosting.channel.send(struct.pack(">BHHH", 0x01, 7, 50, 60))
    await pointer_at(painter, (50, 60))
    # the host's move, drawn by the others (after the position sent when the channel opened)
    while struct.unpack(">BHHH", await next_op(watching, 0x01)) != (0x01, 7, 50, 60):
        pass
    watching.channel.send(struct.pack(">BHHH", 0x01, 7, 400, 300))
    await asyncio.sleep(0.3)
    assert painter.pointer() == (50, 60)
    await room_settings(hosting, inactive_cursors=True)
    assert hosting.ws is not None
    cursors = await hosting.ws.wait_for("session/cursors", timeout=REPLY)
    assert cursors == [{"id": watching.id, "cursors": [{"x": 400, "y": 300}]}]


async def test_cursor_position_arrives_when_the_channel_opens(viewer: Viewer) -> None:
    await viewer.watch()
    assert (await next_op(viewer, 0x01))[:3] == b"\x01\x00\x07"


def test_the_table_parses_each_client_op() -> None:
    assert datachannel.parse(struct.pack(">BHhhB", 2, 8, -3, 4, 1)).values == {
        "delta_x": -3,
        "delta_y": 4,
        "control_key": 1,
    }
    assert datachannel.parse(struct.pack(">BHhh", 2, 4, 5, -6)).values == {
        "delta_x": 5,
        "delta_y": -6,
        "control_key": 0,
    }
    assert datachannel.parse(struct.pack(">BHI", 3, 7, 0xFF0D)).values == {"keysym": 0xFF0D}
    touch = datachannel.parse(struct.pack(">BHIiiB", 8, 16, 9, -1, 2, 200))
    assert touch.name == "touch_begin" and touch.values["pressure"] == 200
    assert datachannel.parse(b"\x01\x00") is None  # too short
    assert datachannel.parse(b"\x7f\x00\x03") is None  # unknown op


async def test_cursor_image_arrives_and_follows_cursor_changes(viewer: Viewer, painter: Painter) -> None:
    await viewer.watch()
    first = await next_op(viewer, 0x02)
    _op, length, width, height, _xhot, _yhot = struct.unpack(">BHHHHH", first[:11])
    assert length == len(first) and width > 0 and height > 0
    assert first[11:15] == b"\x89PNG"
    font = painter.x.open_font("cursor")
    cursor = font.create_glyph_cursor(font, Xcursorfont.watch, Xcursorfont.watch + 1, (0, 0, 0), (65535,) * 3)
    painter.window.change_attributes(cursor=cursor)
    painter.root.warp_pointer(100, 100)  # over the window, whose cursor is now the watch
    painter.x.sync()
    changed = await next_op(viewer, 0x02)
    assert changed != first
