"""Input from the WebSocket (and the manager's data-channel seam) received by a test X window."""

from __future__ import annotations

import asyncio

import pytest
from Xlib import XK, X
from Xlib.display import Display

from nekoapi.desktop.xserver import XServer
from nekoapi.events import ControlRequested
from tests.support.patience import REPLY

from ..support.client import ApiClient, api_client
from .conftest import desktop_config, events, input_window, send

pytestmark = pytest.mark.desktop


def pointer(d: Display) -> tuple[int, int]:
    reply = d.screen().root.query_pointer()
    return reply.root_x, reply.root_y


def keysyms_pressed(d: Display, found: list[object]) -> list[int]:
    return [d.keycode_to_keysym(e.detail, 0) for e in found if e.type == X.KeyPress]  # type: ignore[attr-defined]


async def test_the_first_mover_becomes_host_and_moves_the_pointer(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    await send(desktop, user, "control/move", {"x": 321, "y": 123})
    assert desktop.app.services.sessions.host_id == user.id  # nobody hosted: implicit control
    assert pointer(xclient) == (321, 123)


async def test_buttons_reach_the_window_where_the_event_says(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    with input_window(xclient) as _:
        await send(desktop, user, "control/buttonpress", {"code": 1, "x": 50, "y": 60})
        await send(desktop, user, "control/buttondown", {"code": 3})
        await send(desktop, user, "control/buttondown", {"code": 3})  # held already: debounced
        await send(desktop, user, "control/buttonup", {"code": 3})
        await send(desktop, user, "control/buttonup", {"code": 3})  # not held: debounced
        found = await events(xclient, until=lambda f: sum(e.type == X.ButtonRelease for e in f) >= 2)
    buttons = [(e.type, e.detail) for e in found if e.type in (X.ButtonPress, X.ButtonRelease)]
    assert buttons == [(X.ButtonPress, 1), (X.ButtonRelease, 1), (X.ButtonPress, 3), (X.ButtonRelease, 3)]
    press = next(e for e in found if e.type == X.ButtonPress)
    assert (press.event_x, press.event_y) == (50, 60)


async def test_scroll_clicks_nekos_wheel_buttons(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    with input_window(xclient) as _:
        await send(desktop, user, "control/scroll", {"delta_x": -1, "delta_y": 2})
        found = await events(xclient, until=lambda f: sum(e.type == X.ButtonPress for e in f) >= 3)
    assert [e.detail for e in found if e.type == X.ButtonPress] == [4, 4, 7]


async def test_keys_by_keysym_including_one_missing_from_the_keymap(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    missing = 0x1000416  # Cyrillic Zhe: not on the US keymap
    assert xclient.keysym_to_keycode(missing) == 0
    with input_window(xclient) as _:
        await send(desktop, user, "control/keypress", {"keysym": XK.string_to_keysym("a")})
        await send(desktop, user, "control/keydown", {"keysym": missing})
        await send(desktop, user, "control/keyup", {"keysym": missing})
        found = await events(xclient, until=lambda f: sum(e.type == X.KeyRelease for e in f) >= 2)
    assert keysyms_pressed(xclient, found) == [XK.string_to_keysym("a"), missing]
    releases = [e.detail for e in found if e.type == X.KeyRelease]
    presses = [e.detail for e in found if e.type == X.KeyPress]
    assert releases == presses  # each key-up used its key-down's keycode


async def test_copy_is_control_c(desktop: ApiClient, xclient: Display) -> None:
    user = await desktop.login_user()
    with input_window(xclient) as _:
        await send(desktop, user, "control/copy")
        found = await events(xclient, until=lambda f: sum(e.type == X.KeyRelease for e in f) >= 2)
    assert keysyms_pressed(xclient, found) == [XK.string_to_keysym("Control_L"), XK.string_to_keysym("c")]


async def test_a_non_host_asks_the_host_and_moves_nothing(desktop: ApiClient, xclient: Display) -> None:
    host, other = await desktop.login_user("host"), await desktop.login_user("other")
    await send(desktop, host, "control/move", {"x": 10, "y": 10})
    requests: list[ControlRequested] = []
    desktop.app.services.bus.subscribe(ControlRequested, requests.append)
    await send(desktop, other, "control/move", {"x": 500, "y": 500})
    assert pointer(xclient) == (10, 10)
    assert desktop.app.services.sessions.host_id == host.id
    assert requests == [ControlRequested(host.id, other.id)]  # the broadcaster tells only the host


async def test_implicit_hosting_hands_control_to_the_sender(desktop: ApiClient, xclient: Display) -> None:
    admin, host, other = await desktop.login_admin(), await desktop.login_user("h"), await desktop.login_user("o")
    await desktop.post("/api/room/settings", json={"implicit_hosting": True}, headers=admin.bearer)
    await send(desktop, host, "control/move", {"x": 1, "y": 1})
    await send(desktop, other, "control/move", {"x": 77, "y": 88})
    assert desktop.app.services.sessions.host_id == other.id
    assert pointer(xclient) == (77, 88)


async def test_held_input_is_released_when_the_host_changes(desktop: ApiClient, xclient: Display) -> None:
    admin, user = await desktop.login_admin(), await desktop.login_user()
    with input_window(xclient) as _:
        await send(desktop, user, "control/keydown", {"keysym": XK.string_to_keysym("b")})
        await send(desktop, user, "control/buttondown", {"code": 2})
        await desktop.post("/api/room/control/reset", headers=admin.bearer)
        found = await events(xclient, until=lambda f: sum(e.type in (X.KeyRelease, X.ButtonRelease) for e in f) >= 2)
    assert {e.type for e in found} >= {X.KeyRelease, X.ButtonRelease}
    assert desktop.app.services.desktop.runtime.input.keys == {}


async def test_held_input_is_released_after_ten_seconds(desktop: ApiClient, xclient: Display) -> None:
    manager = desktop.app.services.desktop
    await manager.key_down(XK.string_to_keysym("d"))
    manager.runtime.input.keys = {k: (code, since - 11) for k, (code, since) in manager.runtime.input.keys.items()}
    deadline = asyncio.get_running_loop().time() + REPLY
    while manager.runtime.input.keys and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)  # the watch loop checks twice a second
    assert manager.runtime.input.keys == {}


async def test_the_data_channel_seam_moves_without_hosting_rules(desktop: ApiClient, xclient: Display) -> None:
    manager = desktop.app.services.desktop
    await manager.move(640, 360)
    assert pointer(xclient) == (640, 360)
    assert manager.display is not None and manager.screen() == {"width": 1280, "height": 720, "rate": 30}


async def test_paste_sets_the_text_through_the_clipboard_seam_then_presses_control_v(
    x_server: XServer, xclient: Display
) -> None:
    given: list[str] = []

    async def set_text(session: object, text: str) -> None:
        given.append(text)

    async with api_client(desktop_config(x_server), {"paste_text": set_text}) as desktop:
        user = await desktop.login_user()
        with input_window(xclient) as _:
            await send(desktop, user, "control/paste", {"text": "hello"})
            found = await events(xclient, until=lambda f: sum(e.type == X.KeyRelease for e in f) >= 2)
    assert given == ["hello"]
    assert keysyms_pressed(xclient, found) == [XK.string_to_keysym("Control_L"), XK.string_to_keysym("v")]
