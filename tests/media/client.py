"""A Neko v3 WebRTC client made of aiortc, as the e2e tests and the benchmarks use it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nekoapi.media.peer import candidate_from_payload
from tests.support.live import EventClient
from tests.support.patience import REPLY


class Viewer:
    def __init__(self, base_url: str, ws_url: str) -> None:
        self.base_url = base_url
        self.ws_url = ws_url
        self.id = ""
        self.token = ""
        self.ws: EventClient | None = None
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.channel: Any = None
        self.messages: asyncio.Queue[bytes] = asyncio.Queue()
        self.provide: dict[str, Any] = {}
        self.candidates: list[dict[str, Any]] = []  # the server's signal/candidate payloads
        self._opened = asyncio.Event()
        self.pc.on("track", lambda track: self.tracks.__setitem__(track.kind, track))
        self.pc.on("datachannel", self._channel)

    def _channel(self, channel: Any) -> None:
        self.channel = channel
        channel.on("message", self.messages.put_nowait)
        self._opened.set()

    async def login(self, username: str, password: str) -> None:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            response = await http.post("/api/login", json={"username": username, "password": password})
            response.raise_for_status()
            body = response.json()
        self.id, self.token = body["id"], body["token"]
        self.ws = await EventClient.connect(f"{self.ws_url}?token={self.token}")
        await self.ws.wait_for("system/init")

    async def watch(self, request: dict[str, Any] | None = None, timeout: float = REPLY) -> None:
        assert self.ws is not None
        await self.ws.send("signal/request", request or {})
        self.provide = await self.ws.wait_for("signal/provide", timeout=timeout)
        await self.pc.setRemoteDescription(RTCSessionDescription(self.provide["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.ws.send("signal/answer", {"sdp": self.pc.localDescription.sdp})
        if "a=end-of-candidates" not in self.provide["sdp"]:
            await self._trickled(timeout)
        await asyncio.wait_for(self._opened.wait(), timeout)

    async def _trickled(self, timeout: float) -> None:
        """The server's candidates, up to its end-of-candidates for every m-line."""
        assert self.ws is not None
        lines = self.provide["sdp"].count("\r\nm=")
        ended: set[int] = set()
        others: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(ended) < lines:
            message = await self.ws.next(max(deadline - asyncio.get_running_loop().time(), 0.001))
            if message["event"] != "signal/candidate":
                others.append(message)
                continue
            payload = message["payload"]
            self.candidates.append(payload)
            candidate = candidate_from_payload(payload)
            if candidate is None:
                ended.add(payload["sdpMLineIndex"])
                continue
            await self.pc.addIceCandidate(candidate)
        await self.pc.addIceCandidate(None)
        self.ws.unread(others)  # for the test's own wait_for

    async def frame(self, kind: str = "video", timeout: float = REPLY) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while kind not in self.tracks:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no {kind} track")
            await asyncio.sleep(0.02)
        return await asyncio.wait_for(self.tracks[kind].recv(), timeout)

    async def falls_silent(self, kind: str, quiet: float = 1.0, within: float = 5.0) -> bool:
        """Whether ``kind`` stops: its track ends, or no frame comes for ``quiet`` s (after those on their way)."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            try:
                await self.frame(kind, timeout=quiet)
            except (TimeoutError, MediaStreamError):
                return True
        return False

    async def message(self, timeout: float = REPLY) -> bytes:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def close(self) -> None:
        with contextlib.suppress(MediaStreamError, Exception):
            await self.pc.close()
        if self.ws is not None:
            await self.ws.close()


async def room_settings(admin: Viewer, **changes: bool) -> None:
    """``POST /api/room/settings`` as ``admin`` (a logged-in administrator)."""
    async with httpx.AsyncClient(base_url=admin.base_url) as http:
        response = await http.post(
            "/api/room/settings", json=changes, headers={"Authorization": f"Bearer {admin.token}"}
        )
        assert response.status_code == 204, response.text
