"""Keyboard layout and lock modifiers, read back from XKB by another client."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import xcffib
import xcffib.xkb

from nekoapi.desktop.keyboard import LockState
from nekoapi.desktop.xserver import XServer

from ..support.client import ApiClient
from .conftest import send

pytestmark = pytest.mark.desktop
MAP, MODIFIERS = "/api/room/keyboard/map", "/api/room/keyboard/modifiers"


def xkb_query(x_server: XServer) -> dict[str, str]:
    out = subprocess.run(["setxkbmap", "-display", str(x_server.display), "-query"], capture_output=True, text=True)
    return dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in out.stdout.splitlines()))


def locked_mods(x_server: XServer) -> int:
    conn = xcffib.connect(display=x_server.display)
    try:
        xkb = conn(xcffib.xkb.key)
        xkb.UseExtension(1, 0).reply()
        return int(xkb.GetState(0x100).reply().lockedMods)
    finally:
        conn.disconnect()


@pytest.fixture
def restore_keyboard(x_server: XServer) -> Iterator[None]:
    yield
    subprocess.run(["setxkbmap", "-display", str(x_server.display), "-layout", "us"], check=True)
    locks = LockState(str(x_server.display))
    locks.set(dict.fromkeys(("capslock", "numlock", "shift"), False))
    locks.close()


async def host(client: ApiClient) -> object:
    user = await client.login_user()
    await client.post("/api/room/control/request", headers=user.bearer)
    return user


async def test_the_layout_is_set_and_read_back(desktop: ApiClient, x_server: XServer, restore_keyboard: None) -> None:
    user = await host(desktop)
    assert (await desktop.get(MAP, headers=user.bearer)).json() == {"layout": "us", "variant": ""}
    reply = await desktop.post(MAP, json={"layout": "de", "variant": "nodeadkeys"}, headers=user.bearer)
    assert reply.status_code == 204
    assert xkb_query(x_server)["layout"] == "de" and xkb_query(x_server)["variant"] == "nodeadkeys"
    assert (await desktop.get(MAP, headers=user.bearer)).json() == {"layout": "de", "variant": "nodeadkeys"}


@pytest.mark.parametrize(
    "body", [{"layout": "nosuchlayout"}, {"layout": "us", "variant": "nosuchvariant"}, {"layout": "us,zz"}]
)
async def test_a_well_formed_name_xkb_does_not_know_is_404_and_keeps_the_old_one(
    desktop: ApiClient, x_server: XServer, body: dict[str, str], restore_keyboard: None
) -> None:
    user = await host(desktop)
    reply = await desktop.post(MAP, json=body, headers=user.bearer)
    assert reply.status_code == 404 and reply.json()["message"] == "cannot set keyboard map"
    assert xkb_query(x_server)["layout"] == "us"


# Not XKB names at all (schemathesis sent the layout "000..."): the spec's pattern refuses them.
@pytest.mark.parametrize(
    "body",
    [{"layout": "0" * 127}, {"layout": "no-such-layout"}, {"layout": "-print"}, {"layout": "us;rm"},
     {"layout": "us", "variant": "a b"}, {"layout": "a,b,c,d,e"}, {"layout": "US"}],
)  # fmt: skip
async def test_a_name_that_is_not_xkbs_form_is_400_and_keeps_the_old_one(
    desktop: ApiClient, x_server: XServer, body: dict[str, str], restore_keyboard: None
) -> None:
    user = await host(desktop)
    reply = await desktop.post(MAP, json=body, headers=user.bearer)
    assert reply.status_code == 400, reply.text
    assert xkb_query(x_server)["layout"] == "us"


async def test_unknown_fields_of_a_keyboard_map_are_ignored(
    desktop: ApiClient, x_server: XServer, restore_keyboard: None
) -> None:
    user = await host(desktop)
    reply = await desktop.post(MAP, json={"layout": "de", "model": "pc105", "x": [1]}, headers=user.bearer)
    assert reply.status_code == 204, reply.text
    assert xkb_query(x_server)["layout"] == "de"


async def test_unknown_fields_of_modifiers_are_ignored_and_null_is_refused(
    desktop: ApiClient, x_server: XServer, restore_keyboard: None
) -> None:
    user = await host(desktop)
    reply = await desktop.post(MODIFIERS, json={"capslock": True, "hyper": True, "x": None}, headers=user.bearer)
    assert reply.status_code == 204, reply.text
    assert locked_mods(x_server) == 0x02
    reply = await desktop.post(MODIFIERS, json={"altgr": None, "capslock": False}, headers=user.bearer)
    assert reply.status_code == 400 and "altgr" in reply.json()["message"], reply.text
    assert locked_mods(x_server) == 0x02  # nothing changed


async def test_locks_are_set_and_read_back_from_xkb(
    desktop: ApiClient, x_server: XServer, restore_keyboard: None
) -> None:
    user = await host(desktop)
    reply = await desktop.post(MODIFIERS, json={"capslock": True, "numlock": True}, headers=user.bearer)
    assert reply.status_code == 204
    assert locked_mods(x_server) == 0x02 | 0x10  # Lock and Mod2
    state = (await desktop.get(MODIFIERS, headers=user.bearer)).json()
    assert state == {
        "shift": False, "capslock": True, "control": False, "alt": False,
        "numlock": True, "meta": False, "super": False, "altgr": False,
    }  # fmt: skip
    await desktop.post(MODIFIERS, json={"capslock": False}, headers=user.bearer)
    assert locked_mods(x_server) == 0x10  # numlock untouched


async def test_the_host_sets_layout_and_locks_over_the_websocket(
    desktop: ApiClient, x_server: XServer, restore_keyboard: None
) -> None:
    user, other = await host(desktop), await desktop.login_user("other")
    await send(desktop, other, "keyboard/modifiers", {"capslock": True})  # not the host: ignored
    assert locked_mods(x_server) == 0
    await send(desktop, user, "keyboard/modifiers", {"capslock": True})
    await send(desktop, user, "keyboard/map", {"layout": "fr", "variant": ""})
    assert locked_mods(x_server) == 0x02
    assert xkb_query(x_server)["layout"] == "fr"
