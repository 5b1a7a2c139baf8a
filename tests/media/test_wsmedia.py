"""Media over the WebSocket ``/api/room/media``: who may open it, what it carries, and a client too slow to read."""

from __future__ import annotations

import asyncio
import json
import re
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from playwright.async_api import expect

from nekoapi.media import datachannel
from nekoapi.media.pulse import PulseServer
from nekoapi.media.wsmedia import CODECS, FLAG_KEYFRAME, HEADER, KIND_DATA, KIND_VIDEO, SocketStream
from tests.support import browser
from tests.support.confined import confine, page_inside
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.netns import Link
from tests.support.patience import REPLY
from tests.support.tls import self_signed

from .client import Viewer
from .desktop import Painter, pointer_at
from .remote import SMALL
from .server import media_server

ICE_BOUND = 5.0  # s: the page's wait for WebRTC's media before it falls back (diagnosis.js)


def media_url(server: LiveServer, token: str | None = None) -> str:
    url = f"ws://{server.host}:{server.port}/api/room/media"
    return f"{url}?token={token}" if token else url


async def refused_with(url: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, open_timeout=REPLY):
            pass
    return refused.value.response.status_code


async def test_the_socket_needs_credentials_and_can_watch(media_display: str, pulse: PulseServer) -> None:
    users = [
        {"username": "blind", "password": "pw", "profile": {"can_watch": False}},
        {"username": "alice", "password": "pw", "profile": {"can_watch": True}},
    ]
    env = {"NEKO_MEMBER_PROVIDER": "object", "NEKO_MEMBER_OBJECT_USERS": json.dumps(users)}
    with media_server(media_display, pulse, **env) as server:
        blind = Viewer(server.http_url, server.ws_url())
        try:
            await blind.login("blind", "pw")
            assert await refused_with(media_url(server)) == 401
            assert await refused_with(media_url(server, "not-a-token")) == 401
            assert await refused_with(media_url(server, blind.token)) == 403
            async with httpx.AsyncClient(base_url=server.http_url) as http:
                token = (await http.post("/api/login", json={"username": "alice", "password": "pw"})).json()["token"]
                plain = await http.get("/api/room/media", headers={"Authorization": f"Bearer {token}"})
            assert plain.status_code == 426  # a WebSocket, not a page
            with pytest.raises(websockets.InvalidStatus) as foreign:  # a page elsewhere riding the user's cookie
                async with websockets.connect(media_url(server, token), origin="http://evil.example"):  # type: ignore[arg-type]
                    pass
            assert foreign.value.response.status_code == 403
            async with websockets.connect(media_url(server, token)) as socket:
                await messages(socket, KIND_VIDEO, 1)
                async with httpx.AsyncClient(base_url=server.http_url) as http:  # the session ends: so does its socket
                    assert (await http.post("/api/logout", headers={"Authorization": f"Bearer {token}"})).is_success
                with pytest.raises(websockets.ConnectionClosed):
                    await messages(socket, 0, 1)  # none of kind 0: read until closed
        finally:
            await blind.close()


async def messages(socket: Any, kind: int, count: int) -> list[tuple[int, int, int, bytes]]:
    found: list[tuple[int, int, int, bytes]] = []
    deadline = time.monotonic() + REPLY
    while len(found) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} messages of kind {kind} came"
        raw = await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic()))
        got, flags, codec, _, stamp = HEADER.unpack_from(raw)
        if got == kind:
            found.append((flags, codec, stamp, raw[HEADER.size :]))
    return found


async def test_the_host_watches_and_controls_over_the_socket_and_a_viewer_only_watches(
    media_server: LiveServer, painter: Painter
) -> None:
    host = Viewer(media_server.http_url, media_server.ws_url())
    other = Viewer(media_server.http_url, media_server.ws_url())
    try:
        await host.login("alice", USER_PASSWORD)
        await other.login("bob", USER_PASSWORD)
        async with (
            websockets.connect(media_url(media_server, host.token)) as mine,
            websockets.connect(media_url(media_server, other.token)) as theirs,
        ):
            first, *rest = await messages(mine, KIND_VIDEO, 3)
            assert first[0] & FLAG_KEYFRAME and first[1] == CODECS["vp8"] and first[3]
            assert rest[-1][2] >= first[2]  # microseconds, in order
            await messages(theirs, KIND_VIDEO, 1)
            await theirs.send(datachannel.write(datachannel.CLIENT_OPS[0x01], 300, 200))  # not the host: nothing
            assert host.ws is not None
            await host.ws.send("control/request")
            await host.ws.wait_for("control/host", has_host=True, host_id=host.id)
            await asyncio.sleep(0.3)
            assert painter.pointer() != (300, 200)
            for step in range(300, -1, -1):  # a pointer's moves come far faster than chat messages: none is refused
                await mine.send(datachannel.write(datachannel.CLIENT_OPS[0x01], 123 + step, 45 + step))
            await mine.send(datachannel.write(datachannel.CLIENT_OPS[0x07], 0, 42))
            [(_, _, _, pong)] = await messages(mine, KIND_DATA, 1)
            assert datachannel.HEADER.unpack_from(pong)[0] == datachannel.PONG.code
            await pointer_at(painter, (123, 45))
    finally:
        await host.close()
        await other.close()


class Packet(bytes):
    is_keyframe: bool
    pts: int
    time_base = Fraction(1, 90000)


def packet(key: bool, pts: int) -> Packet:
    made = Packet(b"\x00" * 100)
    made.is_keyframe, made.pts = key, pts
    return made


class Stage:
    def __init__(self) -> None:
        self.listeners: list[Any] = []
        self.keyframes_asked = 0

    def add(self, listener: Any) -> None:
        self.listeners.append(listener)

    def remove(self, listener: Any) -> None:
        self.listeners.remove(listener)

    def request_keyframe(self) -> None:
        self.keyframes_asked += 1

    def emit(self, item: Packet) -> None:
        for listener in self.listeners:
            listener(item)


class Ladder:
    ids = ["main"]
    codec = "vp8"


class Stages:
    ladder, audio_codec = Ladder(), "opus"

    def __init__(self) -> None:
        self.stage, self.sound = Stage(), Stage()

    def video(self, rung_id: str) -> Stage:
        return self.stage

    def audio(self) -> Stage:
        return self.sound


async def test_a_client_that_does_not_read_gets_a_bounded_queue_then_the_next_keyframe() -> None:
    stages = Stages()
    stream = SocketStream(stages, limit=10)  # type: ignore[arg-type]
    stream.start()
    stage = stages.stage
    asked = stage.keyframes_asked
    stage.emit(packet(False, 0))  # no keyframe yet: nothing to decode it with
    for n in range(1, 200):  # a keyframe, then deltas, and nobody reads
        stage.emit(packet(n == 1, n * 3000))
        stages.sound.emit(packet(True, n * 960))
    assert len(stream._queue) <= 10  # bounded, whatever comes
    assert stage.keyframes_asked > asked and stream.dropped > 0
    queued = [HEADER.unpack_from(item) for item in stream._queue]
    assert all(kind != KIND_VIDEO for kind, *_ in queued)  # stale video went, deltas wait for a keyframe
    while stream._queue:  # the client reads again
        await stream.next()
    stage.emit(packet(False, 10**6))
    stage.emit(packet(True, 10**6 + 3000))
    stage.emit(packet(False, 10**6 + 6000))
    kinds = [HEADER.unpack_from(await stream.next()) for _ in range(2)]
    assert [(kind, flags & FLAG_KEYFRAME) for kind, flags, *_ in kinds] == [(KIND_VIDEO, 1), (KIND_VIDEO, 0)]
    assert kinds[0][4] == (10**6 + 3000) * 1_000_000 // 90000
    stream.stop()
    assert await stream.next() is None and not stage.listeners


async def test_private_mode_queues_nothing_and_resumes_at_a_keyframe() -> None:
    stages = Stages()
    stage = stages.stage
    private = True  # private mode hides the room from this session: nothing is queued
    stream = SocketStream(stages, lambda: not private)  # type: ignore[arg-type]
    stream.start()
    asked = stage.keyframes_asked
    stage.emit(packet(True, 0))
    stages.sound.emit(packet(True, 0))
    assert not stream._queue
    private = False  # shown again: the next keyframe is asked for, and deltas wait for it
    stage.emit(packet(False, 3000))
    assert stage.keyframes_asked > asked and not stream._queue
    stage.emit(packet(True, 6000))
    assert HEADER.unpack_from(await stream.next())[1] & FLAG_KEYFRAME
    stream.stop()


async def a_click_moves_the_pointer(page: Any, painter: Painter, screen: str) -> None:
    """The host's input goes on the media socket: a click on the room's ``screen`` moves the desktop's pointer."""
    await page.get_by_role("button", name="Request control").click()
    await page.wait_for_selector(f"{screen}.hosting")
    box = await page.locator(screen).bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)
    await pointer_at(painter, (320, 540))


async def canvas_shows(page: Any, rgb: tuple[int, int, int]) -> None:
    await browser.canvas_shows(page, rgb, ICE_BOUND + REPLY)


@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_a_browser_reaching_only_the_http_port_plays_and_controls_over_the_websocket(
    media_display: str, pulse: PulseServer, link: Link, painter: Painter, tmp_path: Path, codec: str
) -> None:
    # WebCodecs exist in secure contexts only: the page is served over https, as a proxy or tunnel serves it.
    cert, key = self_signed(tmp_path, link.outside)
    env = {"NEKO_SERVER_CERT": str(cert), "NEKO_SERVER_KEY": str(key), "NEKO_CAPTURE_VIDEO_IDS": "small"}
    env |= {"NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL), "NEKO_CAPTURE_VIDEO_CODEC": codec}
    with media_server(media_display, pulse, host=link.outside, **env) as server:
        confine(link, tcp=(server.port,))  # no UDP, no other TCP port: ICE has no way through
        async with page_inside(link.namespace, server.http_url, tmp_path, trusting=True) as page:
            failures: list[str] = []  # a decoder's error or a throw in the page's handlers
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.on("console", lambda m: failures.append(m.text) if "decoder" in m.text else None)
            painter.fill((30, 160, 90))
            await browser.send_login(page, "alice", USER_PASSWORD)
            await canvas_shows(page, (30, 160, 90))
            await expect(page.get_by_label("Room screen").and_(page.locator("canvas"))).to_be_visible()
            painter.fill((200, 40, 120))
            await canvas_shows(page, (200, 40, 120))
            await page.get_by_role("button", name="Connection details").click()
            path = page.get_by_role("region", name="Connection details").locator("dd[data-key=path]")
            await expect(path).to_have_text("WebSocket", timeout=REPLY * 1000)
            rtt = page.get_by_role("region", name="Connection details").locator("dd[data-key=rtt]")
            await expect(rtt).to_have_text(re.compile(r"^\d+ ms$"), timeout=REPLY * 1000)  # PING and PONG on the socket
            await a_click_moves_the_pointer(page, painter, "#screen")
            assert not failures, failures


@pytest.mark.parametrize("codec", ["vp8", "vp9"])
async def test_a_plain_http_page_plays_the_websocket_in_its_video_element(
    media_display: str, pulse: PulseServer, link: Link, painter: Painter, tmp_path: Path, codec: str
) -> None:
    # Plain http on a routed address is no secure context: no WebCodecs, so Media Source Extensions play it.
    env = {"NEKO_CAPTURE_VIDEO_IDS": "small", "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL)}
    with media_server(media_display, pulse, host=link.outside, NEKO_CAPTURE_VIDEO_CODEC=codec, **env) as server:
        confine(link, tcp=(server.port,))
        async with page_inside(link.namespace, server.http_url, tmp_path) as page:
            failures: list[str] = []
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.on("console", lambda m: failures.append(m.text) if "media source" in m.text else None)
            assert await page.evaluate("isSecureContext") is False
            painter.fill((30, 160, 90))
            await browser.send_login(page, "alice", USER_PASSWORD)
            await browser.shows(page, (30, 160, 90), ICE_BOUND + 2 * REPLY)
            await expect(page.get_by_label("Room screen").and_(page.locator("video"))).to_be_visible()
            for colour in ((200, 40, 120), (240, 240, 240)):  # each change shows, after an idle moment too
                await asyncio.sleep(1.0)
                painter.fill(colour)
                await browser.shows(page, colour)
            await page.get_by_role("button", name="Connection details").click()
            path = page.get_by_role("region", name="Connection details").locator("dd[data-key=path]")
            await expect(path).to_have_text("WebSocket", timeout=REPLY * 1000)
            # The sound plays in an element of its own: its clock runs.
            sound = "document.getElementById('socket-sound')?.currentTime || 0"
            first, deadline = await page.evaluate(sound), time.monotonic() + REPLY
            while await page.evaluate(sound) < first + 0.5:
                assert time.monotonic() < deadline, "the sound element's clock stands still"
                await asyncio.sleep(0.1)
            await a_click_moves_the_pointer(page, painter, "#video")
            assert not failures, failures


async def test_a_plain_http_page_says_h264_over_the_websocket_needs_https(
    media_display: str, pulse: PulseServer, link: Link, painter: Painter, tmp_path: Path
) -> None:
    env = {"NEKO_CAPTURE_VIDEO_IDS": "small", "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL)}
    with media_server(media_display, pulse, host=link.outside, NEKO_CAPTURE_VIDEO_CODEC="h264", **env) as server:
        confine(link, tcp=(server.port,))
        async with page_inside(link.namespace, server.http_url, tmp_path) as page:
            await browser.send_login(page, "alice", USER_PASSWORD)
            notice = page.get_by_role("alert").filter(has_text="H.264 from the WebSocket plays only on an https page")
            await expect(notice).to_be_visible(timeout=(2 * ICE_BOUND + REPLY) * 1000)
