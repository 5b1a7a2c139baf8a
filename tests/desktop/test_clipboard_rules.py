"""Who may use the clipboard (Neko's guards: can_access_clipboard, then host), and its WebSocket events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.patience import REPLY

from .io_support import desktop_client, host, io_display, xclip, xclip_owner  # noqa: F401

pytestmark = pytest.mark.desktop
OPERATIONS = [
    ("GET", "/api/room/clipboard", None),
    ("POST", "/api/room/clipboard", {"text": "x"}),
    ("GET", "/api/room/clipboard/image.png", None),
]
NO_CLIPBOARD = '{"can_access_clipboard": false}'


@pytest.fixture
async def desk(io_display: str) -> AsyncIterator[ApiClient]:  # noqa: F811
    async with desktop_client(make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE=NO_CLIPBOARD), io_display) as c:
        yield c


async def call(client: ApiClient, method: str, path: str, body: object, headers: dict[str, str]) -> tuple[int, str]:
    response = await client.request(method, path, json=body, headers=headers)
    return response.status_code, response.json().get("message", "") if response.status_code >= 400 else ""


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_without_clipboard_access_even_the_host_is_403(
    desk: ApiClient, method: str, path: str, body: object
) -> None:
    user = await host(desk, "plain-user")  # the user profile lacks can_access_clipboard
    assert await call(desk, method, path, body, user.bearer) == (403, "session cannot access clipboard")


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_a_session_that_does_not_host_is_403(desk: ApiClient, method: str, path: str, body: object) -> None:
    admin = await desk.login_admin()  # may use the clipboard, but someone else hosts
    await host(desk, "the-host")
    assert await call(desk, method, path, body, admin.bearer) == (403, "session is not host")


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_the_clipboard_guard_comes_before_the_host_guard(
    desk: ApiClient, method: str, path: str, body: object
) -> None:
    user = await desk.login_user("neither")
    assert await call(desk, method, path, body, user.bearer) == (403, "session cannot access clipboard")


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
async def test_without_a_desktop_the_host_gets_503(client: ApiClient, method: str, path: str, body: object) -> None:
    admin = await client.login_admin()
    await client.post("/api/room/control/request", headers=admin.bearer)
    status, message = await call(client, method, path, body, admin.bearer)
    assert (status, message) == (503, "desktop is not available")


# --- WebSocket ---


@pytest.fixture
def live(io_display: str) -> Iterator[LiveServer]:  # noqa: F811
    with live_server(make_config(), overrides={"desktop_display": lambda: io_display}) as server:
        yield server


async def connect(server: LiveServer, token: str) -> EventClient:
    events = await EventClient.connect(server.ws_url(token))
    await events.wait_for("system/init")
    return events


@contextlib.asynccontextmanager
async def host_and_bystander(
    live: LiveServer, host_name: str, other_name: str
) -> AsyncIterator[tuple[EventClient, EventClient]]:
    """The sockets of a host and of an admin who does not host, closed afterwards."""
    async with ApiClient(base_url=live.http_url, timeout=REPLY) as http:
        the_host = await host(http, host_name)
        other = await http.login_admin(other_name)
    host_events, other_events = await connect(live, the_host.token), await connect(live, other.token)
    try:
        yield host_events, other_events
    finally:
        await host_events.close()
        await other_events.close()


async def test_the_host_hears_each_clipboard_change_and_others_do_not(live: LiveServer, io_display: str) -> None:  # noqa: F811
    async with host_and_bystander(live, "ws-host", "ws-admin") as (host_events, other_events):
        with xclip_owner(io_display, "UTF8_STRING", b"from another app"):
            updated = await host_events.wait_for("clipboard/updated", timeout=REPLY, text="from another app")
        assert updated == {"text": "from another app"}
        with pytest.raises(TimeoutError):
            await other_events.wait_for("clipboard/updated", timeout=1)


async def test_clipboard_set_from_the_host_only(live: LiveServer, io_display: str) -> None:  # noqa: F811
    async with host_and_bystander(live, "setter", "bystander") as (host_events, other_events):
        await host_events.send("clipboard/set", {"text": "typed on the client"})
        await host_events.wait_for("clipboard/updated", timeout=REPLY, text="typed on the client")
        assert xclip(io_display, "-out").stdout == b"typed on the client"
        await other_events.send("clipboard/set", {"text": "not the host"})
        await asyncio.sleep(0.5)
        assert xclip(io_display, "-out").stdout == b"typed on the client"
