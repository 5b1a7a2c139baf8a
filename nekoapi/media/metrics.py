"""The media's Prometheus metrics, read at scrape time from the peers, their counters and the stages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from statistics import fmean

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .manager import MediaManager
from .stats import KINDS
from .viewer import Viewer

# RTCPeerConnection.connectionState's values: each is listed, at 0 when no peer is in it.
PEER_STATES = ("new", "connecting", "connected", "disconnected", "failed", "closed")


class MediaMetrics(Collector):
    def __init__(self, media: MediaManager) -> None:
        self._media = media

    def collect(self) -> Iterator[Metric]:
        viewers = list(self._media.viewers.values())
        yield _peers(viewers)
        yield from self._sent()
        feedback = CounterMetricFamily(
            "neko_media_feedback", "RTCP feedback from the viewers on video, by type.", labels=["type"]
        )
        for kind, count in self._media.counters.feedback.items():
            feedback.add_metric([kind], count)
        yield feedback
        yield from self._stages()
        yield from _links(viewers)

    def _sent(self) -> Iterator[Metric]:
        packets = CounterMetricFamily("neko_media_sent_packets", "RTP packets sent to viewers.", labels=["kind"])
        octets = CounterMetricFamily("neko_media_sent_bytes", "RTP payload bytes sent to viewers.", labels=["kind"])
        sent = self._media.counters.sent()
        for kind in KINDS:
            packets.add_metric([kind], sent[kind][0])
            octets.add_metric([kind], sent[kind][1])
        yield from (packets, octets)

    def _stages(self) -> Iterator[Metric]:
        labels = ["rung"]
        frames = CounterMetricFamily("neko_media_encoded_frames", "Video frames encoded, by rung.", labels=labels)
        keys = CounterMetricFamily("neko_media_keyframes", "Video keyframes encoded, by rung.", labels=labels)
        cpu = CounterMetricFamily(
            "neko_media_frame_cpu_seconds", "CPU time spent grabbing, converting and encoding frames.", labels=labels
        )
        for rung_id, stage in self._media.stages.videos.items():
            frames.add_metric([rung_id], stage.frames)
            keys.add_metric([rung_id], stage.keyframes)
            cpu.add_metric([rung_id], stage.cpu_seconds)
        yield from (frames, keys, cpu)


def _peers(viewers: list[Viewer]) -> Metric:
    family = GaugeMetricFamily("neko_media_peers", "Viewers' WebRTC connections, by state.", labels=["state"])
    states = Counter(viewer.peer.pc.connectionState for viewer in viewers)
    for state in PEER_STATES:
        family.add_metric([state], states[state])
    return family


def _links(viewers: list[Viewer]) -> Iterator[Metric]:
    """Round-trip time and loss, the mean over a rung's viewers that have reported them."""
    rtt = GaugeMetricFamily("neko_media_rtt_seconds", "Round-trip time to the viewers, by rung.", labels=["rung"])
    loss = GaugeMetricFamily("neko_media_loss_ratio", "Video packets lost on the way, by rung.", labels=["rung"])
    for rung_id in sorted({viewer.video_id for viewer in viewers}):
        on_rung = [viewer.peer for viewer in viewers if viewer.video_id == rung_id]
        _add_mean(rtt, rung_id, (peer.round_trip_time for peer in on_rung))
        _add_mean(loss, rung_id, (peer.video_report.loss for peer in on_rung))
    yield from (rtt, loss)


def _add_mean(family: GaugeMetricFamily, rung_id: str, values: Iterable[float | None]) -> None:
    known = [value for value in values if value is not None]
    if known:
        family.add_metric([rung_id], fmean(known))
