"""The playout-delay header extension (min 0, max 0) on every video packet: browsers render at once."""

from __future__ import annotations

import asyncio
import re
import struct
from typing import Any

from aiortc import RTCConfiguration
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket, unpack_header_extensions

from nekoapi.media.peer import Peer
from nekoapi.media.pulse import PulseServer
from nekoapi.media.rtc_internals import PLAYOUT_DELAY_URI, PlayoutDelayMap
from tests.support.factory import USER_PASSWORD

from .client import Viewer
from .desktop import Painter
from .server import media_server


def _extensions(data: bytes) -> tuple[int, dict[int, bytes]]:
    """An RTP packet's payload type and its header extensions by id, read from the wire."""
    first, payload_type = data[0], data[1] & 0x7F
    if not first & 0x10:
        return payload_type, {}
    at = 12 + 4 * (first & 0x0F)
    profile, words = struct.unpack("!HH", data[at : at + 4])
    return payload_type, dict(unpack_header_extensions(profile, data[at + 4 : at + 4 + 4 * words]))


def _capture(viewer: Viewer) -> list[tuple[int, dict[int, bytes]]]:
    """Every RTP packet the viewer's transport decrypts from now on."""
    seen: list[tuple[int, dict[int, bytes]]] = []
    transport = viewer.pc.getTransceivers()[0].receiver.transport
    handle = transport._handle_rtp_data

    async def record(data: bytes, arrival_time_ms: int) -> None:
        seen.append(_extensions(data))
        await handle(data, arrival_time_ms)

    transport._handle_rtp_data = record
    return seen


def _ids(sdp: str) -> tuple[int, int, int]:
    video = int(re.search(r"a=rtpmap:(\d+) VP8/90000", sdp).group(1))  # type: ignore[union-attr]
    audio = int(re.search(r"a=rtpmap:(\d+) opus/48000", sdp).group(1))  # type: ignore[union-attr]
    delay = int(re.search(rf"a=extmap:(\d+) {re.escape(PLAYOUT_DELAY_URI)}", sdp).group(1))  # type: ignore[union-attr]
    return video, audio, delay


async def _packets(media_display: str, pulse: PulseServer, painter: Painter, **env: str) -> tuple[Any, ...]:
    with media_server(media_display, pulse, **env) as server:
        viewer = Viewer(server.http_url, server.ws_url())
        try:
            await viewer.login("alice", USER_PASSWORD)
            await viewer.watch()
            seen = _capture(viewer)
            for shade in (40, 120, 200):
                painter.fill((shade, 60, 90))
                await asyncio.sleep(0.2)
            await viewer.frame()
            await viewer.frame("audio")
            return (*_ids(viewer.provide["sdp"]), seen)
        finally:
            await viewer.close()


async def test_every_video_packet_asks_for_a_zero_playout_delay_and_audio_packets_do_not(
    media_display: str, pulse: PulseServer, painter: Painter
) -> None:
    video, audio, delay, seen = await _packets(media_display, pulse, painter)
    videos = [extensions for kind, extensions in seen if kind == video]
    audios = [extensions for kind, extensions in seen if kind == audio]
    assert videos and audios
    assert all(extensions.get(delay) == b"\x00\x00\x00" for extensions in videos)
    assert not any(delay in extensions for extensions in audios)


async def test_without_low_latency_the_browser_keeps_its_playout_buffer(
    media_display: str, pulse: PulseServer, painter: Painter
) -> None:
    video, _audio, delay, seen = await _packets(media_display, pulse, painter, NEKO_CAPTURE_VIDEO_LOW_LATENCY="false")
    videos = [extensions for kind, extensions in seen if kind == video]
    assert videos and not any(delay in extensions for extensions in videos)


def test_the_map_writes_the_extension_only_once_negotiated() -> None:
    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=1)
    packet.extensions.mid = "0"
    silent = PlayoutDelayMap()
    silent.configure(
        RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(1, "urn:ietf:params:rtp-hdrext:sdes:mid")])
    )
    assert 9 not in dict(_extensions(packet.serialize(silent))[1])
    negotiated = PlayoutDelayMap()
    negotiated.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(1, "urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(9, PLAYOUT_DELAY_URI),
            ]
        )
    )
    assert _extensions(packet.serialize(negotiated))[1] == {1: b"0", 9: b"\x00\x00\x00"}


async def test_the_offer_declares_the_extension_for_video() -> None:
    peer = Peer(RTCConfiguration(iceServers=[]), "vp8")
    try:
        offer = await peer.pc.createOffer()
        video = offer.sdp[offer.sdp.index("m=video") :]
        audio = offer.sdp[offer.sdp.index("m=audio") : offer.sdp.index("m=video")]
        assert PLAYOUT_DELAY_URI in video and PLAYOUT_DELAY_URI not in audio
    finally:
        await peer.close()


def test_the_playout_delay_follows_aiortcs_own_extensions_on_every_packet() -> None:
    """Whatever aiortc writes (a send time whose bytes end in zeros, mids of any length), the packet carries
    exactly those elements and the playout delay after them."""
    uris = {1: "urn:ietf:params:rtp-hdrext:sdes:mid", 3: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"}
    negotiated = RTCRtpParameters(
        headerExtensions=[
            *(RTCRtpHeaderExtensionParameters(id=i, uri=uri) for i, uri in uris.items()),
            RTCRtpHeaderExtensionParameters(id=5, uri=PLAYOUT_DELAY_URI),
        ]
    )
    ours, aiortcs = PlayoutDelayMap(), HeaderExtensionsMap()
    ours.configure(negotiated)
    aiortcs.configure(negotiated)
    for mid in ("0", "video", "a" * 16, None):
        for send_time in (0, 0x100, 0x10000, 0xFFFFFF, 0x123400, None):
            values = HeaderExtensions(mid=mid, abs_send_time=send_time)
            profile, data = ours.set(values)
            assert len(data) % 4 == 0
            assert unpack_header_extensions(profile, data) == [
                *unpack_header_extensions(*aiortcs.set(values)),
                (5, b"\x00\x00\x00"),
            ]
