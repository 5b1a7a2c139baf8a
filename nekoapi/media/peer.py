"""One viewer's WebRTC connection: the server offers audio, video and the data channel "data".

aiortc handles ICE, DTLS and RTP; the tracks hand it packets already encoded by the shared
stages. Two sender hooks aiortc keeps for its own encoder are pointed at the stage instead:
a PLI/FIR asks the stage for a keyframe, a REMB moves the stage's bitrate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci
from aiortc.sdp import SessionDescription, candidate_from_sdp, candidate_to_sdp

from .icerestart import IceRestart
from .ports import connections, restrict, transports
from .tracks import PacketTrack

log = logging.getLogger(__name__)
STREAM_ID = "stream"
_MIME = {"vp8": "video/VP8", "h264": "video/H264"}


class Peer:
    def __init__(
        self,
        configuration: RTCConfiguration,
        codec: str,
        ports: tuple[int, int] | None = None,
        nat1to1: tuple[str, ...] = (),
        lite: bool = False,
    ) -> None:
        self.pc = RTCPeerConnection(configuration)
        self._nat1to1 = nat1to1
        self._lite = lite
        self._gathering: asyncio.Future[None] | None = None
        self._restart = IceRestart(self.pc)
        self.video = PacketTrack("video", "video")
        self.audio = PacketTrack("audio", "audio")
        self.channel = self.pc.createDataChannel("data")  # Neko's defaults: ordered, reliable
        self._add(self.audio, "audio/opus")
        self._video_sender = self._add(self.video, _MIME[codec])
        self._video_sender._send_keyframe = self._keyframe  # type: ignore[method-assign]
        self._rtcp = self._video_sender._handle_rtcp_packet
        self._video_sender._handle_rtcp_packet = self._on_rtcp  # type: ignore[method-assign]
        self.closed = False
        if ports is not None:
            for agent in connections(self.pc):
                restrict(agent, ports)
        if lite:
            # An ICE-lite agent is controlled; aiortc would make the offerer controlling.
            for transport in transports(self.pc):
                transport._connection.ice_controlling = False
                transport._role_set = True

    def _add(self, track: PacketTrack, mime: str) -> RTCRtpSender:
        transceiver = self.pc.addTransceiver(track, direction="sendrecv")
        transceiver.sender._stream_id = STREAM_ID  # Neko's msid: stream "stream", tracks "audio"/"video"
        wanted = {mime.lower(), f"{track.kind}/rtx"}
        codecs = RTCRtpSender.getCapabilities(track.kind).codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in wanted])
        return transceiver.sender

    def _keyframe(self) -> None:
        stage = self.video.stage
        if stage is not None:
            stage.request_keyframe()  # type: ignore[attr-defined]

    async def _on_rtcp(self, packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, _ = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            stage = self.video.stage
            if stage is not None:
                stage.feedback(bitrate)  # type: ignore[attr-defined]
            return
        await self._rtcp(packet)

    async def offer(self, trickle: Callable[[dict[str, Any]], None] | None = None) -> str:
        """The first offer. Without ``trickle``, after ICE gathering, with every candidate in it.
        With it, at once (createOffer already holds the ICE credentials), and gathering goes on
        in the background: each candidate goes to ``trickle``, then an end-of-candidates per
        m-line. The task only starts once the caller yields, after it has sent the offer."""
        offer = await self.pc.createOffer()
        if trickle is None:
            await self.pc.setLocalDescription(offer)
            return self._outgoing(self.pc.localDescription.sdp)
        self._gathering = asyncio.ensure_future(self._trickle(offer, trickle))
        return self._outgoing(offer.sdp)

    async def _trickle(self, offer: RTCSessionDescription, send: Callable[[dict[str, Any]], None]) -> None:
        await self.pc.setLocalDescription(offer)  # gathers (aioice hands over a transport's candidates at once)
        for index, media in enumerate(SessionDescription.parse(self.pc.localDescription.sdp).media):
            where = {"sdpMid": media.rtp.muxId, "sdpMLineIndex": index, "usernameFragment": media.ice.usernameFragment}
            for candidate in media.ice_candidates:
                line = "candidate:" + candidate_to_sdp(candidate)
                for text in [line, *nat1to1_candidates(line, self._nat1to1)]:
                    send({"candidate": text, **where})
            send({"candidate": "", **where})

    async def _gathered(self) -> None:
        """An answer or a candidate that beats our gathering waits for it."""
        if self._gathering is not None and not self._gathering.done():
            await asyncio.wait([self._gathering])

    async def restart(self) -> str:
        """An ICE-restart offer: new ICE credentials on the same transports (see icerestart)."""
        await self._gathered()
        await self._restart.begin()
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self._outgoing(self.pc.localDescription.sdp)

    def _outgoing(self, sdp: str) -> str:
        sdp = with_nat1to1(sdp, self._nat1to1)
        return with_ice_lite(sdp) if self._lite else sdp

    async def accept_answer(self, sdp: str) -> None:
        await self._gathered()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
        self._restart.finish(sdp)

    async def answer_offer(self, sdp: str) -> str:
        """A client's renegotiation (adding a microphone): we answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def add_candidate(self, payload: dict[str, Any]) -> None:
        candidate = candidate_from_payload(payload)
        if candidate is None:
            return  # end of candidates
        await self._gathered()
        await self.pc.addIceCandidate(candidate)

    def send(self, data: bytes) -> None:
        if self.channel.readyState == "open":
            self.channel.send(data)

    def on(self, event: str, callback: Callable[..., Any]) -> None:
        self.pc.on(event, callback)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._gathering is not None:
            self._gathering.cancel()
        self._restart.cancel()
        self.video.stop()
        self.audio.stop()
        await self.pc.close()


def candidate_from_payload(payload: dict[str, Any]) -> RTCIceCandidate | None:
    """A ``signal/candidate`` payload as aiortc's candidate; None for an end-of-candidates."""
    text = payload.get("candidate") or ""
    if not text:
        return None
    candidate = candidate_from_sdp(text.removeprefix("candidate:"))
    candidate.sdpMid = payload.get("sdpMid")
    candidate.sdpMLineIndex = payload.get("sdpMLineIndex")
    return candidate


def with_nat1to1(sdp: str, addresses: tuple[str, ...]) -> str:
    """``webrtc.nat1to1``: each host candidate also offered at the public addresses (1:1 NAT)."""
    if not addresses:
        return sdp
    out: list[str] = []
    for line in sdp.split("\r\n"):
        out.append(line)
        if line.startswith("a=candidate:"):
            out += ["a=" + extra for extra in nat1to1_candidates(line.removeprefix("a="), addresses)]
    return "\r\n".join(out)


def nat1to1_candidates(candidate: str, addresses: tuple[str, ...]) -> list[str]:
    """The copies of one ``candidate:...`` line at each public address, if it is an IPv4 host one."""
    parts = candidate.split(" ")
    if len(parts) <= 7 or parts[7] != "host" or "." not in parts[4]:
        return []
    return [" ".join([parts[0] + "n" + str(i), *parts[1:4], ip, *parts[5:]]) for i, ip in enumerate(addresses)]


def with_ice_lite(sdp: str) -> str:
    """``webrtc.icelite``: ``a=ice-lite`` at session level, after the timing line."""
    lines = sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("t="))
    return "\r\n".join([*lines[: at + 1], "a=ice-lite", *lines[at + 1 :]])
