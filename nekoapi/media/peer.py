"""One viewer's WebRTC connection: the server offers audio, video and the data channel "data".

aiortc handles ICE, DTLS and RTP; the tracks hand it packets already encoded by the shared
stages. Two sender hooks aiortc keeps for its own encoder are pointed at the stage instead:
a PLI/FIR asks the stage for a keyframe, a REMB moves the stage's bitrate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci
from aiortc.sdp import candidate_from_sdp

from .ports import connections, restrict
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
    ) -> None:
        self.pc = RTCPeerConnection(configuration)
        self._nat1to1 = nat1to1
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

    async def offer(self) -> str:
        """The offer with every candidate in it (aiortc gathers before it returns)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return with_nat1to1(self.pc.localDescription.sdp, self._nat1to1)

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def answer_offer(self, sdp: str) -> str:
        """A client's renegotiation (adding a microphone): we answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def add_candidate(self, payload: dict[str, Any]) -> None:
        text = payload.get("candidate") or ""
        if not text:
            return  # end of candidates
        candidate = candidate_from_sdp(text.removeprefix("candidate:"))
        candidate.sdpMid = payload.get("sdpMid")
        candidate.sdpMLineIndex = payload.get("sdpMLineIndex")
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
        self.video.stop()
        self.audio.stop()
        await self.pc.close()


def with_nat1to1(sdp: str, addresses: tuple[str, ...]) -> str:
    """``webrtc.nat1to1``: each host candidate also offered at the public addresses (1:1 NAT)."""
    if not addresses:
        return sdp
    out: list[str] = []
    for line in sdp.split("\r\n"):
        out.append(line)
        parts = line.split(" ")
        if line.startswith("a=candidate:") and len(parts) > 7 and parts[7] == "host" and "." in parts[4]:
            out += [" ".join([parts[0] + "n" + str(i), *parts[1:4], ip, *parts[5:]]) for i, ip in enumerate(addresses)]
    return "\r\n".join(out)
