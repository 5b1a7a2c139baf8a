"""/metrics tells an operator what the media do: peers, what was sent, the viewers' feedback, the encoders."""

from __future__ import annotations

import asyncio
import time

import httpx
from aiortc import RTCConfiguration
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    pack_remb_fci,
)
from prometheus_client.parser import text_string_to_metric_families

from nekoapi.media.peer import Peer
from nekoapi.media.stats import MediaCounters
from tests.media.client import Viewer
from tests.media.desktop import Painter
from tests.media.test_webrtc_video import frame_with
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.patience import REPLY


async def test_feedback_is_counted_and_a_report_gives_the_loss() -> None:
    counters = MediaCounters()
    peer = Peer(RTCConfiguration(iceServers=[]), "vp8", counters=counters)
    sender = peer.pc.getTransceivers()[1].sender
    ssrc = sender._ssrc
    for packet in (
        RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=ssrc),
        RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=ssrc),
        RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=1, media_ssrc=ssrc),
        RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(750_000, [ssrc])),
        RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=ssrc, lost=[3, 4]),
        RtcpRrPacket(ssrc=1, reports=[_report(ssrc + 1, 200), _report(ssrc, 64)]),
    ):
        await sender._handle_rtcp_packet(packet)
    assert counters.feedback == {"nack": 1, "pli": 2, "fir": 1, "remb": 1}
    assert peer.video_report.loss == 0.25  # 64/256, from the block about our own stream only
    await peer.close()
    assert counters.sent() == {"audio": (0, 0), "video": (0, 0)}


def _report(ssrc: int, fraction_lost: int) -> RtcpReceiverInfo:
    return RtcpReceiverInfo(
        ssrc=ssrc, fraction_lost=fraction_lost, packets_lost=0, highest_sequence=0, jitter=0, lsr=0, dlsr=0
    )


async def test_a_viewer_shows_in_the_media_metrics_and_its_counts_outlive_it(
    media_server: LiveServer, painter: Painter
) -> None:
    viewer = Viewer(media_server.http_url, media_server.ws_url())
    try:
        await viewer.login("alice", USER_PASSWORD)
        await viewer.watch()
        for colour in ((200, 30, 60), (20, 180, 90)):  # frames come when the desktop changes
            painter.fill(colour)
            await frame_with(viewer, colour)
        seen = await _until(media_server, lambda m: m["peers"].get("connected") == 1 and m["sent"]["video"] > 0)
        assert seen["bytes"]["video"] > seen["sent"]["video"]  # packets carry more than a byte each
        assert seen["frames"]["main"] >= 2 and seen["keyframes"]["main"] >= 1
        assert 0 < seen["cpu"]["main"] < 60
    finally:
        await viewer.close()
    after = await _until(media_server, lambda m: m["peers"].get("connected") == 0)
    # A counter never goes back: what the closed peer sent stays counted.
    assert after["sent"]["video"] >= seen["sent"]["video"]
    assert after["bytes"]["video"] >= seen["bytes"]["video"]


async def _until(server: LiveServer, condition: object) -> dict[str, dict[str, float]]:
    deadline = time.monotonic() + REPLY
    while True:
        metrics = await _scrape(server)
        if condition(metrics):  # type: ignore[operator]
            return metrics
        assert time.monotonic() < deadline, f"metrics never matched: {metrics}"
        await asyncio.sleep(0.2)


async def _scrape(server: LiveServer) -> dict[str, dict[str, float]]:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        text = (await http.get("/metrics")).text
    wanted = {
        "neko_media_peers": ("peers", "state"),
        "neko_media_sent_packets_total": ("sent", "kind"),
        "neko_media_sent_bytes_total": ("bytes", "kind"),
        "neko_media_encoded_frames_total": ("frames", "rung"),
        "neko_media_keyframes_total": ("keyframes", "rung"),
        "neko_media_frame_cpu_seconds_total": ("cpu", "rung"),
    }
    found: dict[str, dict[str, float]] = {name: {} for name, _ in wanted.values()}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in wanted:
                name, label = wanted[sample.name]
                found[name][sample.labels[label]] = sample.value
    return found
