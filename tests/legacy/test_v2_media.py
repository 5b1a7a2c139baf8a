"""The v2 UI's media and desktop events over /ws, on a real display: an aiortc peer answers the v2
``signal/provide`` as Neko's ``base.ts`` does (``setRemoteOffer``: answer with ``displayname``,
candidates as JSON text) and receives frames; the keyboard, the clipboard and the screen size."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription, candidate_to_sdp

from nekoapi.media.peer import candidate_from_payload
from tests.media.conftest import media_display, media_server, painter, pulse  # noqa: F401 (fixtures)
from tests.media.desktop import Painter, pointer_at
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY

from .v2client import V2Client


@contextlib.asynccontextmanager
async def v2_client(server: LiveServer, name: str, password: str = ADMIN_PASSWORD) -> AsyncIterator[V2Client]:
    client = await V2Client.connect(server.port, password, name)
    try:
        client.greeting = await client.events_until("signal/provide")
        client.id = client.greeting[-1]["id"]
        yield client
    finally:
        await client.close()


async def answer(client: V2Client, pc: RTCPeerConnection, displayname: str) -> None:
    """What ``base.ts`` does with ``signal/provide`` and the ``signal/candidate``s after it."""
    provide = client.greeting[-1]
    await pc.setRemoteDescription(RTCSessionDescription(provide["sdp"], "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await client.send("signal/answer", sdp=pc.localDescription.sdp, displayname=displayname)
    lines, ended = provide["sdp"].count("\r\nm="), set()
    while len(ended) < lines:
        candidate: dict[str, Any] = orjson.loads((await client.wait_for("signal/candidate"))["data"])
        found = candidate_from_payload(candidate)
        if found is None:
            ended.add(candidate["sdpMLineIndex"])
        else:
            await pc.addIceCandidate(found)
    await pc.addIceCandidate(None)


async def first_video_frame(pc: RTCPeerConnection, tracks: dict[str, MediaStreamTrack]) -> Any:
    deadline = asyncio.get_running_loop().time() + REPLY
    while "video" not in tracks:
        assert asyncio.get_running_loop().time() < deadline, "no video track"
        await asyncio.sleep(0.02)
    return await asyncio.wait_for(tracks["video"].recv(), REPLY)


async def test_a_v2_viewer_answers_the_offer_and_gets_frames(media_server: LiveServer) -> None:  # noqa: F811
    async with v2_client(media_server, "alice") as alice:
        provide = alice.greeting[-1]
        assert provide["id"] == alice.id and provide["lite"] is True
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tracks: dict[str, MediaStreamTrack] = {}
        pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
        try:
            await answer(alice, pc, "alice")
            frame = await first_video_frame(pc, tracks)
            assert (frame.width, frame.height) == (1280, 720)
        finally:
            await pc.close()


async def test_the_screen_size_is_asked_and_listed(media_server: LiveServer) -> None:  # noqa: F811
    async with v2_client(media_server, "alice") as alice:
        configurations = next(m for m in alice.greeting if m["event"] == "screen/configurations")["configurations"]
        assert configurations and all(set(c) == {"width", "height", "rates"} for c in configurations.values())
        await alice.send("screen/resolution")
        size = await alice.wait_for("screen/resolution")
        assert size == {"event": "screen/resolution", "width": 1280, "height": 720, "rate": size["rate"]}
        await alice.send("screen/configurations")
        assert (await alice.wait_for("screen/configurations"))["configurations"] == configurations


async def test_keyboard_and_clipboard_from_the_v2_host(media_server: LiveServer) -> None:  # noqa: F811
    async with v2_client(media_server, "bob", USER_PASSWORD) as bob:
        await bob.send("control/request")
        await bob.wait_for("control/locked", id=bob.id)
        await bob.send("control/clipboard", text="from the v2 ui")
        assert await bob.wait_for("control/clipboard") == {"event": "control/clipboard", "text": "from the v2 ui"}
        await bob.send("control/keyboard", layout="de", capsLock=True, scrollLock=False)
        async with httpx.AsyncClient(base_url=media_server.http_url) as http:
            body = (await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})).json()
            auth = {"Authorization": f"Bearer {body['token']}"}
            try:
                await _until(lambda: _get(http, "/api/room/keyboard/map", auth), lambda m: m["layout"] == "de")
                modifiers = await _until(
                    lambda: _get(http, "/api/room/keyboard/modifiers", auth), lambda m: m["capslock"]
                )
                assert modifiers["numlock"] is False
            finally:
                await http.post("/api/room/keyboard/map", json={"layout": "us"}, headers=auth)
                await http.post("/api/room/keyboard/modifiers", json={"capslock": False}, headers=auth)


async def _get(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await http.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _until(read: Any, done: Any) -> Any:
    """The value ``read`` gives once ``done`` holds for it (the v2 event is done after it is read)."""
    deadline = asyncio.get_running_loop().time() + REPLY
    while True:
        value = await read()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"never came: {value}")
        await asyncio.sleep(0.05)


async def test_a_screen_switch_is_told_with_who_switched_it(media_server: LiveServer) -> None:  # noqa: F811
    async with v2_client(media_server, "alice") as alice, v2_client(media_server, "bob", USER_PASSWORD) as bob:
        configurations = next(m for m in alice.greeting if m["event"] == "screen/configurations")["configurations"]
        size = next(iter(configurations.values()))
        rate = size["rates"]["0"]
        await alice.send("screen/set", width=size["width"], height=size["height"], rate=rate)
        switched = {"event": "screen/resolution", "id": alice.id, "width": size["width"], "height": size["height"]}
        for client in (alice, bob):
            message = await client.wait_for("screen/resolution", id=alice.id)
            assert {k: message[k] for k in switched} == switched


async def test_input_on_the_v2_data_channel_moves_the_hosts_pointer(
    media_server: LiveServer,  # noqa: F811
    painter: Painter,  # noqa: F811
) -> None:
    async with v2_client(media_server, "alice") as alice:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            await answer(alice, pc, "alice")
            channel = pc.createDataChannel("data")  # base.ts opens a channel of its own
            opened = asyncio.Event()
            channel.on("open", opened.set)
            await asyncio.wait_for(opened.wait(), REPLY)
            # (who may act is Neko's LegacyIsHost: test_v2_translation.py holds its cases)
            await alice.send("control/request")
            await alice.wait_for("control/locked", id=alice.id)
            channel.send(struct.pack("<BHHH", 0x01, 4, 211, 123))  # MOVE as the host
            await pointer_at(painter, (211, 123))
        finally:
            await pc.close()


async def test_the_viewer_renegotiates_with_its_own_offer(media_server: LiveServer) -> None:  # noqa: F811
    async with v2_client(media_server, "alice") as alice:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            await answer(alice, pc, "alice")
            await pc.setLocalDescription(await pc.createOffer())  # base.ts's onnegotiationneeded
            await alice.send("signal/offer", sdp=pc.localDescription.sdp)
            answered = await alice.wait_for("signal/answer")
            assert set(answered) == {"event", "displayname", "sdp"} and answered["displayname"] == "alice"
            await pc.setRemoteDescription(RTCSessionDescription(answered["sdp"], "answer"))
        finally:
            await pc.close()


async def test_a_trickling_v2_viewer_connects_through_its_signal_candidates(
    media_server: LiveServer,  # noqa: F811
) -> None:
    """A browser answers before its candidates are gathered and sends each one as JSON text in ``data``
    (``base.ts``): the answer here carries none, so the video plays only if they reach the peer. Text
    that is no JSON is ignored."""
    async with v2_client(media_server, "carol") as carol:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tracks: dict[str, MediaStreamTrack] = {}
        pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(carol.greeting[-1]["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            sdp = pc.localDescription.sdp
            bare = "".join(line for line in sdp.splitlines(True) if not line.startswith(("a=candidate", "a=end-of")))
            await carol.send("signal/answer", sdp=bare, displayname="carol")
            await carol.send("signal/candidate", data="{not json")
            for index, media in enumerate(SessionDescription.parse(sdp).media):
                for candidate in media.ice_candidates:
                    found = {"candidate": "candidate:" + candidate_to_sdp(candidate), "sdpMid": media.rtp.muxId}
                    await carol.send("signal/candidate", data=orjson.dumps({**found, "sdpMLineIndex": index}).decode())
            frame = await first_video_frame(pc, tracks)
            assert (frame.width, frame.height) == (1280, 720)
        finally:
            await pc.close()
