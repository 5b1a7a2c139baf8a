"""The RTMP broadcast on a real X server, received by a local RTMP server (ffmpeg -listen)."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nekoapi.config import BroadcastConfig
from nekoapi.desktop.xserver import XServer
from nekoapi.media import broadcast, rtmp, rtmp_sender
from tests.support.display import attach_display
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import EventClient, LiveServer, live_server
from tests.support.paint import Painter, close_to
from tests.support.patience import REPLY
from tests.support.rtmp_receiver import RtmpReceiver, free_port
from tests.support.xdisplay import screen_size

pytestmark = pytest.mark.desktop

RED = (200, 30, 40)


class Caller:
    """A logged-in session with its WebSocket."""

    def __init__(self, http: httpx.AsyncClient, token: str, ws: EventClient) -> None:
        self.http, self.token, self.ws = http, token, ws

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers={"Authorization": f"Bearer {self.token}"})

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.token}"})


class Room:
    def __init__(self, server: LiveServer, http: httpx.AsyncClient) -> None:
        self.server, self.http = server, http
        self.sockets: list[EventClient] = []

    async def join(self, name: str, *, admin: bool) -> Caller:
        password = ADMIN_PASSWORD if admin else USER_PASSWORD
        body = (await self.http.post("/api/login", json={"username": name, "password": password})).json()
        ws = await EventClient.connect(self.server.ws_url(body["token"]))
        self.sockets.append(ws)
        await ws.wait_for("session/state", id=body["id"], is_connected=True)
        return Caller(self.http, body["token"], ws)


@pytest.fixture
def painter(x_server: XServer) -> Iterator[Painter]:
    painter = Painter(x_server.display)
    painter.fill(RED)
    yield painter
    painter.close()


@pytest.fixture
async def room(x_server: XServer) -> AsyncIterator[Room]:
    with live_server(make_config(NEKO_CAPTURE_BROADCAST_FPS="20")) as server:
        attach_display(server.app.services, x_server.display)
        async with httpx.AsyncClient(base_url=server.http_url, timeout=REPLY) as http:
            room = Room(server, http)
            yield room
            for ws in room.sockets:
                await ws.close()
    # A push still running is stopped by the server's shutdown.


async def wait_inactive(admin: Caller, timeout: float = REPLY) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = (await admin.get("/api/room/broadcast")).json()
        if not status["is_active"] or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.1)


async def test_the_screen_reaches_the_rtmp_server(
    room: Room, painter: Painter, x_server: XServer, tmp_path: Path
) -> None:
    admin = await room.join("root", admin=True)
    user = await room.join("bob", admin=False)
    receiver = RtmpReceiver(tmp_path)
    assert (await admin.post("/api/room/broadcast/start", {"url": receiver.url, "is_active": False})).status_code == 204
    assert await admin.ws.wait_for("broadcast/status") == {"is_active": True, "url": receiver.url}
    assert (await admin.get("/api/room/broadcast")).json() == {"is_active": True, "url": receiver.url}
    await asyncio.sleep(1.5)
    assert (await admin.post("/api/room/broadcast/stop")).status_code == 204
    assert await admin.ws.wait_for("broadcast/status") == {"is_active": False, "url": receiver.url}
    assert (await admin.get("/api/room/broadcast")).json() == {"is_active": False, "url": receiver.url}
    assert receiver.finished() == 0
    frames = receiver.frames()
    width, height = screen_size(x_server.display)
    assert len(frames) >= 5  # 1.5 s at 20 fps, fewer when the machine is busy
    assert {(f.width, f.height) for f in frames} == {(width, height)}
    assert all(close_to(f.sample, RED) for f in frames[1:]), frames[-1]
    assert "broadcast/status" not in [m["event"] for m in user.ws.seen]  # administrators only


@pytest.mark.parametrize("address", ["closed port", "rtmp://0"])
async def test_an_address_no_rtmp_server_answers_is_the_callers_404(room: Room, painter: Painter, address: str) -> None:
    admin = await room.join("root", admin=True)
    url = f"rtmp://127.0.0.1:{free_port()}/live/nobody-listens" if address == "closed port" else address
    response = await admin.post("/api/room/broadcast/start", {"url": url})
    assert response.status_code == 404
    assert response.json() == {"message": "broadcast could not start: connection refused", "code": 404}
    assert (await admin.get("/api/room/broadcast")).json() == {"is_active": False, "url": url}  # kept, as Neko
    stop = await admin.post("/api/room/broadcast/stop")
    assert (stop.status_code, stop.json()["message"]) == (409, "server is not broadcasting")


async def test_an_address_ffmpeg_cannot_parse_is_a_404_with_its_reason(room: Room, painter: Painter) -> None:
    admin = await room.join("root", admin=True)
    url = "rtmp://[::1/live/key"  # an IPv6 host never closed: the URL is the caller's, and it is answered
    response = await admin.post("/api/room/broadcast/start", {"url": url})
    assert response.json() == {"message": "broadcast could not start: invalid argument", "code": 404}


async def test_a_push_that_cannot_run_here_is_our_503(
    room: Room, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rtmp_sender.shutil, "which", lambda name: None)
    admin = await room.join("root", admin=True)
    response = await admin.post("/api/room/broadcast/start", {"url": "rtmp://127.0.0.1/live/key"})
    assert response.status_code == 503
    assert response.json() == {"message": "broadcast could not start: ffmpeg is not installed", "code": 503}
    assert (await admin.get("/api/room/broadcast")).json()["is_active"] is False


async def test_a_receiver_that_goes_away_ends_the_broadcast(room: Room, painter: Painter, tmp_path: Path) -> None:
    admin = await room.join("root", admin=True)
    receiver = RtmpReceiver(tmp_path)
    assert (await admin.post("/api/room/broadcast/start", {"url": receiver.url})).status_code == 204
    await admin.ws.wait_for("broadcast/status", is_active=True)
    await asyncio.sleep(0.5)
    receiver.kill()
    assert await admin.ws.wait_for("broadcast/status", timeout=REPLY) == {"is_active": False, "url": receiver.url}
    assert await wait_inactive(admin) == {"is_active": False, "url": receiver.url}
    # And it can start again, to a receiver that is there.
    again = RtmpReceiver(tmp_path, name="again")
    assert (await admin.post("/api/room/broadcast/start", {"url": again.url})).status_code == 204
    await asyncio.sleep(1.5)
    assert (await admin.post("/api/room/broadcast/stop")).status_code == 204
    assert again.finished() == 0
    assert again.frames()


async def test_system_admin_tells_a_joining_admin_about_the_broadcast(
    room: Room, painter: Painter, tmp_path: Path
) -> None:
    admin = await room.join("root", admin=True)
    admin_message = next(m for m in admin.ws.seen if m["event"] == "system/admin")
    assert admin_message["payload"]["broadcast_status"] == {"is_active": False}
    receiver = RtmpReceiver(tmp_path)
    assert (await admin.post("/api/room/broadcast/start", {"url": receiver.url})).status_code == 204
    late = await room.join("late", admin=True)
    admin_message = next(m for m in late.ws.seen if m["event"] == "system/admin")
    assert admin_message["payload"]["broadcast_status"] == {"is_active": True, "url": receiver.url}
    init = next(m for m in late.ws.seen if m["event"] == "system/init")
    assert init["payload"]["screencast_enabled"] is False  # capture.screencast.enabled's default


async def test_an_rtmp_server_that_never_answers_is_given_up_on(
    room: Room, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rtmp, "CONNECT_TIMEOUT", 1.0)
    admin = await room.join("root", admin=True)
    with socket.socket() as silent:  # takes the TCP connection, never says a word of RTMP
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"rtmp://127.0.0.1:{silent.getsockname()[1]}/live/key"
        started = time.monotonic()
        response = await admin.post("/api/room/broadcast/start", {"url": url})
        assert time.monotonic() - started < 3
    assert response.status_code == 404
    assert response.json()["message"] == "broadcast could not start: the RTMP server did not answer within 1 s"
    assert (await admin.get("/api/room/broadcast")).json() == {"is_active": False, "url": url}


async def test_a_push_that_cannot_send_is_reported_dropped(
    room: Room, painter: Painter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send stuck on an RTMP server that stopped reading never fails by itself; the watchdog reports it."""
    monkeypatch.setattr(broadcast, "STALL_TIMEOUT", 0.5)
    admin = await room.join("root", admin=True)
    receiver = RtmpReceiver(tmp_path)
    assert (await admin.post("/api/room/broadcast/start", {"url": receiver.url})).status_code == 204
    push = room.server.app.services.broadcast._push
    assert push is not None
    with push._lock:  # the video thread now waits as it would on a full socket
        assert await admin.ws.wait_for("broadcast/status", is_active=False, timeout=REPLY) == {
            "is_active": False,
            "url": receiver.url,
        }
        assert (await admin.get("/api/room/broadcast")).json() == {"is_active": False, "url": receiver.url}
    receiver.kill()


class Silence:
    """Sound at the pace ``parec`` gives it (its thread writes to the push's ffmpeg as the video does)."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def read(self, size: int) -> bytes:
        return b"" if self._closed.wait(size / (48000 * 4)) else bytes(size)

    def close(self) -> None:
        self._closed.set()


class SilentSource:
    def open(self) -> Silence:
        return Silence()


STARTS, AT_ONCE = 90, 6  # a 1-in-30 wrong reason shows in 90 starts 19 times in 20


def refused_start(display: str, config: BroadcastConfig) -> str:
    """One push with sound to a closed local port, and the reason the manager would answer."""
    push = rtmp.RtmpPush(f"rtmp://127.0.0.1:{free_port()}/live/key", display, config, SilentSource(), lambda e: None)
    try:
        push.connect()
    except Exception as exc:
        return rtmp.reason(exc)
    push.stop()
    return "connected"


def test_a_start_to_a_closed_port_always_says_connection_refused(
    x_server: XServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sound's thread may see ffmpeg end before the connect does: the reason is still ffmpeg's."""
    assert x_server.display is not None
    monkeypatch.setattr(rtmp, "CONNECT_TIMEOUT", 120.0)  # a loaded machine may be slow to refuse; never "no answer"
    config = make_config(NEKO_CAPTURE_BROADCAST_FPS="5").capture.broadcast
    with concurrent.futures.ThreadPoolExecutor(AT_ONCE) as pool:
        reasons = list(pool.map(lambda _: refused_start(x_server.display, config), range(STARTS)))
    assert collections.Counter(reasons) == {"connection refused": STARTS}


class SwitchedWhileConnecting(rtmp.ScreenGrabber):
    """The screen switches under the first grab of the push, as a screen switch racing a start."""

    grabs = 0

    def grab(self) -> rtmp.Frame:
        type(self).grabs += 1
        if type(self).grabs == 1:
            raise rtmp.Resized()
        return super().grab()


def test_a_screen_switched_while_the_push_connects_starts_it_at_the_new_size(
    x_server: XServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # schemathesis switched the screen while it started a broadcast: the start failed, a 503 "Resized".
    assert x_server.display is not None
    monkeypatch.setattr(rtmp, "ScreenGrabber", SwitchedWhileConnecting)
    receiver = RtmpReceiver(tmp_path)
    config = make_config(NEKO_CAPTURE_BROADCAST_FPS="5").capture.broadcast
    push = rtmp.RtmpPush(receiver.url, x_server.display, config, None, lambda error: None)
    push.connect()
    push.start()
    push.stop()  # the frames sent while connecting are enough
    assert receiver.finished() == 0
    assert SwitchedWhileConnecting.grabs >= 2
    assert {(f.width, f.height) for f in receiver.frames()} == {screen_size(x_server.display)}
