"""What the clipboard and upload tests share: an X display, Chromium in it, an app using it.

The display is the run's ``x_server`` (desktop-core's fixture).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from Xlib import X
from Xlib.display import Display
from Xlib.ext import xtest

from nekoapi.config import Config
from nekoapi.desktop.xserver import XServer
from nekoapi.web.app import create_app
from tests.support.client import ApiClient, Login
from tests.support.declared import declared_responses_only
from tests.support.patience import START, STOP

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--password-store=basic",
    "--window-position=0,0",
    "--window-size=1280,720",
]


@pytest.fixture(scope="session")
def io_display(x_server: XServer) -> str:
    """The run's X server (desktop-core's ``x_server``: Xorg-dummy, else Xvfb)."""
    return x_server.display


@dataclass
class Browser:
    display: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def chromium(display: str, page: Path) -> Iterator[Browser]:
    """Chromium (not headless) showing ``page`` as an app window at 0,0."""
    profile = tempfile.mkdtemp(prefix="nekoapi-io-chromium-")
    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--app=file://{page}"],
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield Browser(display, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def window_titles(display: str) -> list[str]:
    """Names of the top-level windows (the page title shows in its window's name)."""
    d = Display(display)
    try:
        names = []
        atoms = [d.intern_atom("_NET_WM_NAME"), d.intern_atom("WM_NAME")]  # UTF-8 first
        for child in d.screen().root.query_tree().children:
            with contextlib.suppress(Exception):  # windows come and go
                props = [child.get_full_property(atom, X.AnyPropertyType) for atom in atoms]
                prop = next((p for p in props if p is not None and p.value), None)
                if prop is not None:
                    value = prop.value
                    names.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
        return names
    finally:
        d.close()


def wait_for_title(display: str, prefix: str, timeout: float = START) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for title in window_titles(display):
            if title.startswith(prefix):
                return title
        time.sleep(0.1)
    raise AssertionError(f"no window titled {prefix!r}*; windows: {window_titles(display)}")


def xclip(display: str, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["xclip", "-selection", "clipboard", *args],
        input=data,
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        timeout=15,
        check=False,
    )


@contextlib.contextmanager
def xclip_owner(display: str, target: str, data: bytes) -> Iterator[None]:
    """xclip owning CLIPBOARD with ``data`` as ``target`` (it serves until killed)."""
    process = subprocess.Popen(
        ["xclip", "-selection", "clipboard", "-in", "-target", target, "-loops", "0", "-quiet"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DISPLAY": display},
    )
    assert process.stdin is not None
    process.stdin.write(data)
    process.stdin.close()
    time.sleep(0.3)  # xclip takes the selection once it read everything
    try:
        yield
    finally:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def desktop_client(config: Config, display: str) -> AsyncIterator[ApiClient]:
    """An in-process client of an app whose desktop is ``display`` from the start."""
    app = create_app(config, validate_responses=True, overrides={"desktop_display": lambda: display})
    async with LifespanManager(app, startup_timeout=START, shutdown_timeout=STOP) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        hooks = {"response": [declared_responses_only(config.server.path_prefix)]}
        async with ApiClient(transport=transport, base_url="http://testserver", event_hooks=hooks, timeout=30) as c:
            c.app = app
            yield c


async def host(client: ApiClient, username: str = "host") -> Login:
    """A logged-in user who controls the desktop."""
    login = await client.login_user(username)
    response = await client.post("/api/room/control/request", headers=login.bearer)
    assert response.status_code == 204, response.text
    return login


def click(display: str, x: int, y: int) -> None:
    """A real button-1 click at x,y (XTest), as a user's: pages open file choosers only on one."""
    d = Display(display)
    try:
        d.screen().root.warp_pointer(x, y)
        d.sync()
        time.sleep(0.05)
        xtest.fake_input(d, X.ButtonPress, 1)
        xtest.fake_input(d, X.ButtonRelease, 1)
        d.sync()
    finally:
        d.close()
