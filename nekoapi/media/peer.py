"""One viewer's WebRTC connection: the server offers audio, video and the data channel "data".

aiortc handles ICE, DTLS and RTP; the tracks hand it packets already encoded by the shared
stages. Two sender hooks aiortc keeps for its own encoder are pointed at the stage instead:
a PLI/FIR asks the stage for a keyframe, a REMB moves the stage's bitrate. A NACK for a packet
sent before the newest keyframe is not answered (``worth_resending``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtp import RTCP_PSFB_APP, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket, unpack_remb_fci
from aiortc.sdp import SessionDescription, candidate_from_sdp, candidate_to_sdp

from . import rtc_internals as rtc
from .adaptive import Report
from .gathering import Candidates
from .icerestart import IceRestart
from .ports import connections, transports
from .stats import MediaCounters
from .tracks import PacketTrack

log = logging.getLogger(__name__)
STREAM_ID = "stream"
_MIME = {
    "vp8": "video/VP8",
    "vp9": "video/VP9",
    "av1": "video/AV1",
    "h264": "video/H264",
    "opus": "audio/opus",
    "g722": "audio/G722",
    "pcmu": "audio/PCMU",
    "pcma": "audio/PCMA",
}


class Peer:
    def __init__(
        self,
        configuration: RTCConfiguration,
        codec: str,
        candidates: Candidates | None = None,
        lite: bool = False,
        audio_codec: str = "opus",
        low_latency: bool = True,
        counters: MediaCounters | None = None,
    ) -> None:
        self.pc = RTCPeerConnection(configuration)
        self._lite = lite
        self._gathering: asyncio.Future[None] | None = None
        self._restart = IceRestart(self.pc)
        self.video = PacketTrack("video", "video")
        self.audio = PacketTrack("audio", "audio")
        self.channel = self.pc.createDataChannel("data")  # Neko's defaults: ordered, reliable
        audio_sender = self._add(self.audio, _MIME[audio_codec])
        self._video_sender = self._add(self.video, _MIME[codec])
        self._counters = counters
        if counters is not None:
            counters.opened(self, {"audio": audio_sender, "video": self._video_sender})
        self.video_report = Report()  # what the receiver last said about the video (auto, metrics)
        self._loss_at: float | None = None  # when the last receiver report about the video came
        if low_latency:
            rtc.with_playout_delay(self._video_sender)  # Chromium renders each frame at once
        rtc.on_keyframe_request(self._video_sender, self._keyframe)
        self._keyframe_after: int | None = None  # the RTP timestamp sent last before the newest keyframe
        self.video.on_keyframe = self._keyframe_sent
        self._rtcp = rtc.intercept_rtcp(self._video_sender, self._on_rtcp)
        self.closed = False
        if candidates is not None:
            for agent in connections(self.pc):
                candidates.install(agent)
        if lite:
            for transport in transports(self.pc):
                rtc.make_controlled(transport)

    def _add(self, track: PacketTrack, mime: str) -> RTCRtpSender:
        transceiver = self.pc.addTransceiver(track, direction="sendrecv")
        rtc.set_stream_id(transceiver.sender, STREAM_ID)  # Neko's msid: stream "stream", tracks "audio"/"video"
        wanted = {mime.lower(), f"{track.kind}/rtx"}
        codecs = RTCRtpSender.getCapabilities(track.kind).codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in wanted])
        return transceiver.sender

    def _keyframe(self) -> None:
        stage = self.video.stage
        if stage is not None:
            stage.request_keyframe()  # type: ignore[attr-defined]

    def _keyframe_sent(self) -> None:
        self._keyframe_after = rtc.last_sent_timestamp(self._video_sender)

    @property
    def round_trip_time(self) -> float | None:
        return rtc.round_trip_time(self._video_sender)

    async def _on_rtcp(self, packet: Any) -> None:
        if self._counters is not None:
            self._counters.heard(packet)
        for report in rtc.own_reports(self._video_sender, packet):
            now = time.monotonic()
            self.video_report.loss = report.fraction_lost / 256
            self.video_report.loss_since, self.video_report.at = self._loss_at, now
            self._loss_at = now
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, _ = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            self.video_report.remb, self.video_report.at = bitrate, time.monotonic()
            stage = self.video.stage
            if stage is not None:
                stage.feedback(self, bitrate)  # type: ignore[attr-defined]
            return
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK and self._keyframe_after is not None:
            sender, after = self._video_sender, self._keyframe_after
            packet.lost = worth_resending(packet.lost, lambda seq: rtc.sent_timestamp(sender, seq), after)
            if not packet.lost:
                return
        await self._rtcp(packet)

    async def offer(self, trickle: Callable[[dict[str, Any]], None] | None = None) -> str:
        """The first offer. Without ``trickle``, after ICE gathering, with every candidate in it.
        With it, at once (createOffer already holds the ICE credentials), and gathering goes on
        in the background: each candidate goes to ``trickle``, then an end-of-candidates per
        m-line. The task only starts once the caller yields, after it has sent the offer."""
        offer = await self.pc.createOffer()
        if trickle is None:
            self._gathering = asyncio.ensure_future(self.pc.setLocalDescription(offer))
            await asyncio.shield(self._gathering)
            return self._outgoing(self.pc.localDescription.sdp)
        self._gathering = asyncio.ensure_future(self._trickle(offer, trickle))
        return self._outgoing(offer.sdp)

    async def _trickle(self, offer: RTCSessionDescription, send: Callable[[dict[str, Any]], None]) -> None:
        await self.pc.setLocalDescription(offer)  # gathers (aioice hands over a transport's candidates at once)
        for index, media in enumerate(SessionDescription.parse(self.pc.localDescription.sdp).media):
            where = {"sdpMid": media.rtp.muxId, "sdpMLineIndex": index, "usernameFragment": media.ice.usernameFragment}
            for candidate in media.ice_candidates:
                send({"candidate": "candidate:" + candidate_to_sdp(candidate), **where})
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

    async def add_candidate(self, text: str, sdp_mid: str | None, sdp_mline_index: int | None) -> None:
        """One of the viewer's ``signal/candidate``; an empty one ends them (aiortc needs no word of it)."""
        candidate = _candidate(text, sdp_mid, sdp_mline_index)
        if candidate is None:
            return
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
        # Gathering is let finish, never cancelled: aioice keeps the sockets it is opening out of
        # its list until the gathering ends, so a cancelled or overtaken gathering leaks them.
        await self._gathered()
        self._restart.cancel()
        self.video.stop()
        self.audio.stop()
        await self.pc.close()
        if self._counters is not None:
            self._counters.closed(self)


def candidate_from_payload(payload: dict[str, Any]) -> RTCIceCandidate | None:
    """A ``signal/candidate`` payload as aiortc's candidate; None for an end-of-candidates."""
    return _candidate(payload.get("candidate") or "", payload.get("sdpMid"), payload.get("sdpMLineIndex"))


def _candidate(text: str, sdp_mid: str | None, sdp_mline_index: int | None) -> RTCIceCandidate | None:
    if not text:
        return None
    candidate = candidate_from_sdp(text.removeprefix("candidate:"))
    candidate.sdpMid = sdp_mid
    candidate.sdpMLineIndex = sdp_mline_index
    return candidate


def with_ice_lite(sdp: str) -> str:
    """``webrtc.icelite``: ``a=ice-lite`` at session level, after the timing line."""
    lines = sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("t="))
    return "\r\n".join([*lines[: at + 1], "a=ice-lite", *lines[at + 1 :]])


def worth_resending(lost: list[int], sent_timestamp: Callable[[int], int | None], keyframe_after: int) -> list[int]:
    """The lost packets worth sending again: those of the newest keyframe and after (RTP timestamps beyond
    ``keyframe_after``, modulo 2^32). Older ones the keyframe made useless to the viewer's decoder; sent
    again, they only crowd a link that is losing packets already (a viewer moved down a rung asks for
    its old rung's)."""
    kept = []
    for sequence_number in lost:
        timestamp = sent_timestamp(sequence_number)
        if timestamp is not None and 0 < (timestamp - keyframe_after) % 2**32 < 2**31:
            kept.append(sequence_number)
    return kept
