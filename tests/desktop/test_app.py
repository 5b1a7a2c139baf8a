"""The room's application: Chromium in the display, restarted when it exits, stopped at the end."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from Xlib import X
from Xlib.display import Display
from Xlib.error import BadWindow

from nekoapi.desktop.app import AppSupervisor, command_line
from nekoapi.desktop.screen import ScreenSize
from nekoapi.desktop.xserver import XServer

pytestmark = pytest.mark.desktop
SIZE = ScreenSize(1280, 720, 30)


def viewable_windows(d: Display) -> list[object]:
    viewable = []
    for window in d.screen().root.query_tree().children:
        try:
            if window.get_attributes().map_state == X.IsViewable:
                viewable.append(window)
        except BadWindow:  # a dying Chromium's window, gone since the tree was read
            continue
    return viewable


async def wait_for(condition: object, timeout: float = 60.0) -> None:  # Chromium on a loaded machine
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def test_chromium_gets_our_flags_profile_and_size(tmp_path: Path) -> None:
    argv = command_line("/usr/bin/chromium https://example.org", tmp_path, SIZE)
    assert argv[0] == "/usr/bin/chromium" and argv[-1] == "https://example.org"
    assert f"--user-data-dir={tmp_path}" in argv and "--window-size=1280,720" in argv
    assert "--test-type" in argv and "--no-first-run" in argv and "--disable-background-networking" in argv
    assert ("--no-sandbox" in argv) == (os.geteuid() == 0)
    assert command_line("xterm -e top", tmp_path, SIZE) == ["xterm", "-e", "top"]  # other apps as given


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Chromium is not installed")
async def test_chromium_shows_up_and_comes_back_after_it_dies(x_server: XServer, tmp_path: Path) -> None:
    d = Display(str(x_server.display))
    app = AppSupervisor("/usr/bin/chromium", tmp_path / "profile", lambda: x_server.display, lambda: SIZE)
    app.start()
    try:
        await wait_for(lambda: app.process is not None and viewable_windows(d))
        first = app.process
        assert first is not None and (tmp_path / "profile").is_dir()
        os.killpg(first.pid, signal.SIGKILL)
        await wait_for(lambda: app.starts == 2 and app.process is not first and viewable_windows(d))
    finally:
        await app.stop()
    await wait_for(lambda: not viewable_windows(d), timeout=30)
    d.close()


async def test_an_app_that_keeps_exiting_is_restarted_with_back_off(x_server: XServer, tmp_path: Path) -> None:
    app = AppSupervisor("true", tmp_path, lambda: x_server.display, lambda: SIZE)
    app.start()
    await asyncio.sleep(3.5)  # runs at 0, then after 2 s of back-off, then 4 s
    await app.stop()
    assert app.starts == 2


async def test_no_app_runs_while_the_display_is_down(tmp_path: Path) -> None:
    app = AppSupervisor("true", tmp_path, lambda: None, lambda: SIZE)
    app.start()
    await asyncio.sleep(0.6)
    await app.stop()
    assert app.starts == 0
