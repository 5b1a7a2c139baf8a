"""Desktop tests: apps driving the session's real X server, and an independent X client to check it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest
from Xlib import X
from Xlib.display import Display

from nekoapi.desktop.xserver import XServer
from nekoapi.sessions.session import Session
from tests.support.patience import REPLY

from ..support.client import ApiClient, Login, api_client
from ..support.factory import make_config


def desktop_config(x_server: XServer, **env: str) -> Any:
    assert x_server.display is not None
    return make_config(NEKO_DESKTOP_ENABLED="true", NEKO_DESKTOP_DISPLAY=x_server.display, NEKO_DESKTOP_APP="", **env)


@pytest.fixture
async def desktop(x_server: XServer) -> AsyncIterator[ApiClient]:
    """An app whose desktop is the session's X server (at 1280x720@30 when it starts)."""
    async with api_client(desktop_config(x_server)) as c:
        yield c


@pytest.fixture
def xclient(x_server: XServer) -> Iterator[Display]:
    """Our own connection to the display, as another X client (a test window, a reader)."""
    assert x_server.display is not None
    display = Display(x_server.display)
    yield display
    display.close()


def session_of(client: ApiClient, login: Login) -> Session:
    return client.app.services.sessions.get(login.id)


async def send(client: ApiClient, login: Login, event: str, payload: Any = None) -> None:
    """One WebSocket message from ``login``'s session, through the server's dispatch table."""
    raw = orjson.dumps({"event": event, "payload": payload})
    await client.app.services.client_messages.handle(session_of(client, login), raw)


@contextlib.contextmanager
def input_window(d: Display, width: int = 1280, height: int = 720, pixel: int = 0) -> Iterator[Any]:
    """A mapped, focused window over the screen that records input (no window manager moves it)."""
    screen = d.screen()
    mask = X.KeyPressMask | X.KeyReleaseMask | X.ButtonPressMask | X.ButtonReleaseMask | X.PointerMotionMask
    window = screen.root.create_window(
        0, 0, width, height, 0, screen.root_depth, background_pixel=pixel, override_redirect=True, event_mask=mask
    )
    window.map()
    d.sync()
    _wait(lambda: window.get_attributes().map_state == X.IsViewable)
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    try:
        yield window
    finally:
        window.destroy()
        d.sync()


async def events(d: Display, timeout: float = REPLY, until: Any = None) -> list[Any]:
    """Events the test client received (keymap changes applied), until ``until(events)`` holds (or for
    ``timeout`` seconds)."""
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while d.pending_events():
            event = d.next_event()
            if event.type == X.MappingNotify:
                d.refresh_keyboard_mapping(event)
            found.append(event)
        if until is not None and until(found):
            break
        await asyncio.sleep(0.01)  # the server's own tasks (releases, ...) run meanwhile
    return found


def _wait(condition: Any, timeout: float = REPLY) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
