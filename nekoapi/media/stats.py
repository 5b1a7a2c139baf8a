"""What the room's media did, counted for ``/metrics`` (media/metrics.py reads it at scrape time).

Feedback from the viewers (NACK, PLI, FIR, REMB) is counted as it arrives. What the peers sent is
read from their senders while they are open and added to the totals of closed peers when they
close, so that no counter ever goes back when a viewer leaves.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
)

from . import rtc_internals as rtc

KINDS = ("audio", "video")
FEEDBACK = ("nack", "pli", "fir", "remb")
_PSFB = {RTCP_PSFB_PLI: "pli", RTCP_PSFB_FIR: "fir", RTCP_PSFB_APP: "remb"}


def feedback_kind(packet: Any) -> str | None:
    """Which of ``FEEDBACK`` an RTCP packet is, if any."""
    if isinstance(packet, RtcpRtpfbPacket):
        return "nack" if packet.fmt == RTCP_RTPFB_NACK else None
    if isinstance(packet, RtcpPsfbPacket):
        return _PSFB.get(packet.fmt)
    return None


class MediaCounters:
    def __init__(self) -> None:
        self.feedback: dict[str, int] = dict.fromkeys(FEEDBACK, 0)
        self._closed: dict[str, tuple[int, int]] = dict.fromkeys(KINDS, (0, 0))
        self._open: dict[int, dict[str, RTCRtpSender]] = {}

    def heard(self, packet: Any) -> None:
        kind = feedback_kind(packet)
        if kind is not None:
            self.feedback[kind] += 1

    def opened(self, peer: object, senders: dict[str, RTCRtpSender]) -> None:
        self._open[id(peer)] = senders

    def closed(self, peer: object) -> None:
        for kind, sender in self._open.pop(id(peer), {}).items():
            self._closed[kind] = _plus(self._closed[kind], rtc.sent(sender))

    def sent(self) -> dict[str, tuple[int, int]]:
        """Packets and bytes sent by kind, by every peer so far."""
        totals = dict(self._closed)
        for senders in self._open.values():
            for kind, sender in senders.items():
                totals[kind] = _plus(totals[kind], rtc.sent(sender))
        return totals


def _plus(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]
