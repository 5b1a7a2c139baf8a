"""The test desktop for the media suites: an X server of our own (Xvfb) and a PulseAudio.

LEAD: once desktop-core's ``x_server`` fixture is merged, ``media_display`` can use it;
this one only needs a display to grab and windows to paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from Xlib import X
from Xlib.display import Display

from tests.support.patience import REPLY, START

SOCKETS = Path("/tmp/.X11-unix")


def _free_display() -> int:
    for number in range(150 + os.getpid() % 200, 1000):
        if not (SOCKETS / f"X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@contextlib.contextmanager
def xvfb(width: int = 1280, height: int = 720, launcher: Sequence[str] = ()) -> Iterator[str]:
    """``launcher``: a command Xvfb runs under (the bench's ``taskset -c 0``). ``-noreset`` as nekoapi's own
    X servers: without it the server resets when its last client leaves, refusing connections meanwhile."""
    number = _free_display()
    process = subprocess.Popen(
        [*launcher, "Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-noreset", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START
        while not (SOCKETS / f"X{number}").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        time.sleep(0.1)
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(5)


class Painter:
    """A full-screen window whose colour the test sets: what the desktop 'shows'."""

    def __init__(self, display: str) -> None:
        self.x = Display(display)
        screen = self.x.screen()
        self.root = screen.root
        self.window = self.root.create_window(
            0,
            0,
            screen.width_in_pixels,
            screen.height_in_pixels,
            0,
            screen.root_depth,
            X.InputOutput,
            X.CopyFromParent,
            override_redirect=True,
            background_pixel=0,
            event_mask=X.ButtonPressMask | X.ButtonReleaseMask | X.KeyPressMask,
        )
        self.window.map()
        self.x.sync()

    def fill(self, rgb: tuple[int, int, int]) -> None:
        r, g, b = rgb
        self.window.change_attributes(background_pixel=(r << 16) | (g << 8) | b)
        self.window.clear_area(0, 0, 0, 0)
        self.x.sync()

    def noise(self, tiles: int = 4, side: int = 240) -> None:
        """Random pixels in ``tiles`` squares along the diagonal: what no encoder can squeeze."""
        gc = self.window.create_gc()
        for tile in range(tiles):
            pixels = os.urandom(side * side * 4)  # one request each: under X's 256 KiB request limit
            self.window.put_image(gc, tile * side, tile * side // 2, side, side, X.ZPixmap, 24, 0, pixels)
        gc.free()
        self.x.sync()

    def pointer(self) -> tuple[int, int]:
        reply = self.root.query_pointer()
        return reply.root_x, reply.root_y

    def close(self) -> None:
        self.window.destroy()
        self.x.close()


async def animate(painter: Painter, rate: float) -> None:
    """Changes the whole screen ``rate`` times a second until cancelled: frames are sent only for changes."""
    shade = 0
    while True:
        shade = (shade + 37) % 200
        painter.fill((shade, 100, 200 - shade))
        await asyncio.sleep(1 / rate)


async def paint_noise(painter: Painter, rate: float = 25) -> None:
    """Two tiles of fresh noise ``rate`` times a second until cancelled: a rung's encoder spends its whole
    bitrate (a link narrower than the rung then has to move its viewer)."""
    while True:
        await asyncio.to_thread(painter.noise, 2, 200)
        await asyncio.sleep(1 / rate)


async def pointer_at(painter: Painter, where: tuple[int, int], timeout: float = REPLY) -> None:
    """Returns once the desktop's pointer is at ``where``."""
    deadline = time.monotonic() + timeout
    while painter.pointer() != where:
        assert time.monotonic() < deadline, f"pointer at {painter.pointer()}, expected {where}"
        await asyncio.sleep(0.02)
