"""Neko's ``legacy`` video id: the main rung with the pointer drawn in, for v2 clients, who draw no cursor."""

from __future__ import annotations

import time

import numpy as np
import pytest
from Xlib import Xcursorfont

from nekoapi.config import load_config
from nekoapi.media.pointer_overlay import blend
from nekoapi.media.viewer import StreamNotFound, select
from nekoapi.ws.payloads import StreamSelector
from tests.support.patience import REPLY

from .client import Viewer
from .desktop import Painter

GREY = (128, 128, 128)


def test_the_pointer_is_blended_over_the_frame_and_clipped_to_it() -> None:
    frame = np.full((4, 4, 4), 100, np.uint8)
    image = np.zeros((2, 2, 4), np.uint8)
    image[0, 0] = (255, 255, 255, 255)  # opaque white (premultiplied)
    image[0, 1] = (0, 0, 0, 255)  # opaque black
    image[1, 0] = (64, 64, 64, 128)  # half-transparent grey: 64 + 100 * 127/255
    blend(frame, image, -1, 3)  # the left column and the bottom row fall off the frame
    assert frame[3, 0, :3].tolist() == [0, 0, 0]
    assert (frame[:3] == 100).all() and (frame[3, 1:, :3] == 100).all()
    blend(frame, image, 2, 0)
    assert frame[0, 2, :3].tolist() == [255, 255, 255] and frame[1, 2, :3].tolist() == [114, 114, 114]
    assert frame[1, 3, :3].tolist() == [100, 100, 100]  # transparent: left as it was


def test_legacy_is_picked_only_by_its_name_and_only_with_neko_s_legacy_layer() -> None:
    ladder = load_config({}).capture.video.ladder
    assert select(ladder, "main", StreamSelector(id="legacy"), ("legacy",)) == "legacy"
    with pytest.raises(StreamNotFound):
        select(ladder, "main", StreamSelector(id="legacy"))  # NEKO_LEGACY=false
    with pytest.raises(StreamNotFound):
        select(ladder, "main", StreamSelector(type="lower", id="legacy"), ("legacy",))
    assert "legacy" not in ladder.ids  # never listed to clients, as in Neko


async def test_the_legacy_video_shows_the_pointer_and_follows_it_alone(viewer: Viewer, painter: Painter) -> None:
    font = painter.x.open_font("cursor")
    glyph = font.create_glyph_cursor(font, Xcursorfont.crosshair, Xcursorfont.crosshair + 1, (0, 0, 0), (65535,) * 3)
    painter.window.change_attributes(cursor=glyph)
    painter.fill(GREY)
    painter.root.warp_pointer(200, 200)
    painter.x.sync()
    await viewer.watch()
    assert viewer.ws is not None
    await viewer.ws.send("signal/video", {"selector": {"id": "legacy"}})
    assert (await viewer.ws.wait_for("signal/video"))["id"] == "legacy"
    await frame_where(viewer, lambda f: drawn(f, 200, 200))
    # A move alone changes nothing on the screen (no damage), yet a frame follows it.
    painter.root.warp_pointer(900, 500)
    painter.x.sync()
    await frame_where(viewer, lambda f: drawn(f, 900, 500) and not drawn(f, 200, 200))
    await viewer.ws.send("signal/video", {"selector": {"id": "main"}})
    assert (await viewer.ws.wait_for("signal/video"))["id"] == "main"
    await frame_where(viewer, lambda f: not drawn(f, 900, 500))  # the main video has no pointer


def drawn(frame: np.ndarray, x: int, y: int) -> bool:
    """Whether something other than the grey fill is around (x, y)."""
    region = frame[y - 12 : y + 12, x - 12 : x + 12].astype(int)
    return bool((np.abs(region - np.array(GREY)).max(axis=2) > 60).sum() >= 8)


async def frame_where(viewer: Viewer, condition: object) -> None:
    deadline = time.monotonic() + REPLY
    while True:
        frame = (await viewer.frame()).to_ndarray(format="rgb24")
        if condition(frame):  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, "no frame showed what was expected"
