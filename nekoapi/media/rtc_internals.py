"""The private parts of aiortc and aioice that the media build on: listed, checked at import, used only here.

aiortc lacks ICE restarts, a UDP port range for host candidates, one UDP port (and one TCP port,
ICE over TCP) shared by every peer, Neko's msid, ICE-lite's controlled role, a hook on the
receivers' keyframe requests and REMB, the playout-delay RTP header extension (min 0, max 0:
Chromium renders each frame as it is decoded) and VP9 and AV1 among the codecs it offers (packed
by our payloaders.py). icerestart.py,
gathering.py, ports.py and peer.py add them through the functions below, and the UDP and TCP muxes
through rtc_mux.py's (aioice names this module lists and checks): the only code of ours that touches
those libraries' internals.
pyproject.toml pins both exactly; should other versions be installed anyway, importing this module
fails with ``RtcInternalsChanged`` naming what moved, before any viewer connects (not at the first
ICE restart).

To rely on another private name: list it in ``REQUIRED`` (the form of nekoapi/private_names.py) and
reach it through a function here. tests/unit/test_rtc_internals.py fails while a module of
nekoapi/media other than this one touches a private attribute of theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import types
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aioice import Connection
from aiortc import RTCIceTransport, RTCRtpSender
from aiortc.rtcrtpsender import RTP_HISTORY_SIZE

from .. import private_names

if TYPE_CHECKING:
    from aioice.ice import CandidatePair

__all__ = [
    "UDP_SOCKET_BUFFER_SIZE",
    "StunProtocol",
    "candidate_foundation",
    "candidate_priority",
    "server_reflexive_candidate",
]

log = logging.getLogger(__name__)

PINNED = {"aiortc": "1.16.0", "aioice": "0.13.0"}

REQUIRED = (
    # A transport's ICE agent, its role and its state (peer.py, ports.py, icerestart.py).
    "aiortc.rtcicetransport:RTCIceTransport()._connection",
    "aiortc.rtcicetransport:RTCIceTransport()._role_set",
    "aiortc.rtcicetransport:RTCIceTransport._RTCIceTransport__setState",
    "aiortc.rtcicetransport:RTCIceGatherer()._remote_candidates_end",
    # Neko's msid, and the video sender's keyframe requests and RTCP (peer.py).
    "aiortc.rtcrtpsender:RTCRtpSender()._stream_id",
    "aiortc.rtcrtpsender:RTCRtpSender._send_keyframe",
    "aiortc.rtcrtpsender:RTCRtpSender._handle_rtcp_packet",
    # What a sender sent, its round-trip time and its own receiver report blocks (stats.py, peer.py).
    "aiortc.rtcrtpsender:RTCRtpSender()._ssrc",
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__octet_count",
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__packet_count",
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__rtt",
    # The RTP timestamps of what a video sender sent: no retransmission a later keyframe made useless (peer.py).
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__rtp_timestamp",
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__rtp_history",
    # One ICE generation of an agent, rewound for an ICE restart (icerestart.py).
    "aioice.ice:Connection()._query_consent_task",
    "aioice.ice:Connection()._check_list",
    "aioice.ice:Connection()._check_list_done",
    "aioice.ice:Connection()._check_list_state",
    "aioice.ice:Connection()._early_checks",
    "aioice.ice:Connection()._early_checks_done",
    "aioice.ice:Connection()._local_username",
    "aioice.ice:Connection()._local_password",
    "aioice.ice:Connection()._nominated",
    "aioice.ice:Connection()._nominating",
    "aioice.ice:Connection()._remote_candidates",
    "aioice.ice:Connection()._remote_candidates_end",
    "aioice.ice:Connection._check_list_maybe_complete",
    "aioice.ice:CandidatePair().task",
    "aioice.utils:random_string",
    # Host candidates bound within webrtc.epr (ports.py).
    "aioice.ice:Connection.get_component_candidates",
    "aioice.ice:Connection()._protocols",
    "aioice.ice:Connection().stun_server",
    "aioice.ice:StunProtocol",
    "aioice.ice:server_reflexive_candidate",
    "aioice.turn:UDP_SOCKET_BUFFER_SIZE",
    "aioice.candidate:candidate_foundation",
    "aioice.candidate:candidate_priority",
    # A later, lower-ranked nomination does not move the media off the nominated pair (tcpmux).
    "aioice.ice:Connection.check_complete",
    "aioice.ice:candidate_pair_priority",
    # One socket per local address shared by every agent, its datagrams routed to them (rtc_mux.py).
    "aioice.ice:get_host_addresses",
    "aioice.ice:StunProtocol().receiver",
    "aioice.ice:StunProtocol().transactions",
    "aioice.ice:StunProtocol.datagram_received",
    "aioice.ice:Connection.local_username",
    "aioice.ice:Connection.local_password",
    "aioice.stun:parse_message",
    "aioice.stun:Message.check_message_integrity",
    # The playout delay on every video packet, and VP9/AV1 offered and packed by us (below).
    "aiortc.rtcrtpsender:RTCRtpSender()._RTCRtpSender__rtp_header_extensions_map",
    "aiortc.rtcrtpsender:RTCRtpSender._next_encoded_frame",
    "aiortc.rtcrtpsender:get_encoder",
    "aiortc.rtp:HeaderExtensionsMap.configure",
    "aiortc.rtp:HeaderExtensionsMap.set",
    "aiortc.rtp:pack_header_extensions",
    "aiortc.rtp:unpack_header_extensions",
    "aiortc.codecs:CODECS",
    "aiortc.codecs:HEADER_EXTENSIONS",
)
# Names a private method must still call for a replacement of ours to take effect: (entry, name).
CALLED = (("aiortc.rtcrtpsender:RTCRtpSender._next_encoded_frame", "get_encoder"),)


class RtcInternalsChanged(RuntimeError):
    """The installed aiortc or aioice lacks private names the media use."""


def installed() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in PINNED}


def missing() -> list[str]:
    """The entries of ``REQUIRED`` the installed packages do not have."""
    gone = private_names.missing(REQUIRED)
    for entry, name in CALLED:
        if entry not in gone and not private_names.calls(entry, name):
            gone.append(f"{entry} (no longer calls {name})")
    return gone


def require() -> None:
    """Raises ``RtcInternalsChanged`` naming every missing private name."""
    gone, versions = missing(), installed()
    pins = " and ".join(f"{name}=={version}" for name, version in PINNED.items())
    if gone:
        found = ", ".join(f"{name} {version}" for name, version in versions.items())
        raise RtcInternalsChanged(
            f"nekoapi's media (nekoapi/media/rtc_internals.py) build on private parts of {pins}; the installed "
            f"{found} lack: {', '.join(gone)}. Install {pins} (pyproject.toml pins them), or port "
            f"nekoapi/media/rtc_internals.py to the new names."
        )
    for name, version in versions.items():
        if version != PINNED[name]:
            log.warning("%s %s installed; nekoapi's media are built and tested on %s", name, version, PINNED[name])


require()
# Imported once the check passed, so that a moved one is reported with all the others.
from aioice.candidate import candidate_foundation, candidate_priority  # noqa: E402
from aioice.ice import StunProtocol, candidate_pair_priority, server_reflexive_candidate  # noqa: E402
from aioice.turn import UDP_SOCKET_BUFFER_SIZE  # noqa: E402
from aioice.utils import random_string  # noqa: E402
from aiortc import codecs as aiortc_codecs  # noqa: E402
from aiortc import rtcrtpsender, rtp  # noqa: E402
from aiortc.rtcrtpparameters import (  # noqa: E402
    RTCRtcpFeedback,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
)

from .payloaders import Av1Payloader, Vp8Payloader, Vp9Payloader  # noqa: E402

# --- a transport, its ICE agent and its RTP senders ---


def ice_agent(transport: RTCIceTransport) -> Connection:
    return transport._connection


def make_controlled(transport: RTCIceTransport) -> None:
    """An ICE-lite server is controlled; aiortc would make the offerer controlling."""
    ice_agent(transport).ice_controlling = False
    transport._role_set = True


def fail(transport: RTCIceTransport) -> None:
    """The transport failed (aiortc then fails the peer connection)."""
    transport._RTCIceTransport__setState("failed")  # type: ignore[attr-defined]


def set_stream_id(sender: RTCRtpSender, stream_id: str) -> None:
    """The msid's stream of the sender's track (aiortc picks a random one)."""
    sender._stream_id = stream_id


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """``callback`` instead of aiortc's own answer to a receiver's PLI or FIR."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


def intercept_rtcp(sender: RTCRtpSender, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """``handler`` sees every RTCP packet for the sender first; returns aiortc's own handler."""
    original = sender._handle_rtcp_packet
    sender._handle_rtcp_packet = handler  # type: ignore[method-assign]
    return original


def sent(sender: RTCRtpSender) -> tuple[int, int]:
    """The RTP packets and payload bytes the sender has sent (what its sender reports count)."""
    return sender._RTCRtpSender__packet_count, sender._RTCRtpSender__octet_count  # type: ignore[attr-defined]


def round_trip_time(sender: RTCRtpSender) -> float | None:
    """Seconds, smoothed over the receiver's reports; None before the first report that allows it."""
    rtt: float | None = sender._RTCRtpSender__rtt  # type: ignore[attr-defined]
    return rtt


def last_sent_timestamp(sender: RTCRtpSender) -> int | None:
    """The RTP timestamp of the last packet the sender sent; None before its first."""
    if sender._RTCRtpSender__packet_count == 0:  # type: ignore[attr-defined]
        return None
    timestamp: int = sender._RTCRtpSender__rtp_timestamp  # type: ignore[attr-defined]
    return timestamp


def sent_timestamp(sender: RTCRtpSender, sequence_number: int) -> int | None:
    """The RTP timestamp of packet ``sequence_number``, while the sender keeps it for a retransmission."""
    packet = sender._RTCRtpSender__rtp_history.get(sequence_number % RTP_HISTORY_SIZE)  # type: ignore[attr-defined]
    return packet.timestamp if packet is not None and packet.sequence_number == sequence_number else None


def own_reports(sender: RTCRtpSender, packet: Any) -> list[Any]:
    """The report blocks of a receiver or sender report that are about what ``sender`` sends."""
    return [report for report in getattr(packet, "reports", ()) if report.ssrc == sender._ssrc]


# --- ICE restart: a new generation on the same agent ---


async def new_ice_generation(connection: Connection) -> None:
    """New local credentials, no remote ones, no check list; the sockets and the nominated pair stay.

    Checks that arrive with the new credentials are answered and held, as before a first
    ``connect()``; ``connect()`` starts the new generation's checks once the remote credentials are set.
    """
    consent = connection._query_consent_task
    if consent is not None:
        consent.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consent
    connection._query_consent_task = None
    for pair in connection._check_list:
        if pair.task is not None:
            pair.task.cancel()
    connection._local_username = random_string(4)
    connection._local_password = random_string(22)
    # Unknown until the answer: incoming checks are then matched on our half of USERNAME only.
    connection.remote_username = connection.remote_password = None
    connection._remote_candidates = []
    connection._remote_candidates_end = False
    connection._check_list = []
    connection._check_list_done = False
    connection._check_list_state = asyncio.Queue()
    connection._nominating = set()
    connection._early_checks.clear()
    connection._early_checks_done = False
    connection._check_list_maybe_complete = types.MethodType(_maybe_complete, connection)  # type: ignore[method-assign]


def _maybe_complete(self: Connection) -> bool:
    # The old generation's pair stays nominated (it carries the media, and recv() needs a
    # nominated pair), but it is in no check list of the new one: it must not complete it.
    if any(pair not in self._check_list for pair in self._nominated.values()):
        return False
    return Connection._check_list_maybe_complete(self)


def expect_remote_candidates(transport: RTCIceTransport) -> None:
    """The remote side's end-of-candidates of the old generation no longer holds."""
    transport.iceGatherer._remote_candidates_end = False


def nominated(connection: Connection) -> dict[int, CandidatePair]:
    """The nominated pair of each component."""
    return connection._nominated


def keep_the_best_nomination(connection: Connection) -> None:
    """A pair nominated later replaces the nominated one only if it ranks higher, or if the nominated
    one is of an earlier ICE generation (no longer in the check list).

    aioice nominates aggressively and moves the media to whichever pair last succeeded: with UDP and
    TCP candidates, a TCP check answered after the UDP one would carry the media over TCP, while the
    browser (controlled, keeping its highest-ranked nominated pair) sends over UDP.
    """
    aioices_own = connection.check_complete

    def check_complete(self: Connection, pair: CandidatePair) -> None:
        before = self._nominated.get(pair.component)
        aioices_own(pair)
        if before is None or before is pair or self._nominated.get(pair.component) is not pair:
            return
        if before in self._check_list and _rank(self, before) > _rank(self, pair):
            self._nominated[pair.component] = before

    connection.check_complete = types.MethodType(check_complete, connection)  # type: ignore[method-assign]


def _rank(connection: Connection, pair: CandidatePair) -> int:
    return candidate_pair_priority(pair.local_candidate, pair.remote_candidate, connection.ice_controlling)


# --- host candidates on ports of our choosing ---

Gathering = Callable[[int, list[str], int], Awaitable[list[Any]]]  # component, addresses, timeout -> candidates


def replace_gathering(
    connection: Connection, gather: Callable[[Connection, int, list[str], int, Gathering], Awaitable[list[Any]]]
) -> None:
    """The agent's candidates come from ``gather(agent, component, addresses, timeout, aioices_own)``."""
    aioices_own = connection.get_component_candidates

    async def gathering(self: Connection, component: int, addresses: list[str], timeout: int = 5) -> list[Any]:
        return await gather(self, component, addresses, timeout, aioices_own)

    connection.get_component_candidates = types.MethodType(gathering, connection)  # type: ignore[method-assign]


def adopt_sockets(connection: Connection, protocols: list[StunProtocol]) -> None:
    """Sockets we bound become the agent's own (it reads, checks and closes them)."""
    connection._protocols += protocols


def stun_server(connection: Connection) -> tuple[str, int] | None:
    return connection.stun_server


# --- the playout delay, and VP9 and AV1 offered and packed by us ---

PLAYOUT_DELAY_URI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
PLAYOUT_DELAY_ID = 5  # one id space across audio and video under BUNDLE: aiortc uses 1-3
PLAYOUT_DELAY_ZERO = b"\x00\x00\x00"  # 12-bit min and max, in 10 ms units: render at once
ONE_BYTE_PROFILE, ONE_BYTE_MAX_ID = 0xBEDE, 14  # RFC 8285's one-byte header extensions
SENDER_EXTENSIONS_MAP = "_RTCRtpSender__rtp_header_extensions_map"


class PlayoutDelayMap(rtp.HeaderExtensionsMap):
    """aiortc's extension map plus the playout delay, written on every packet once negotiated."""

    def __init__(self) -> None:
        super().__init__()
        self.playout_delay_id: int | None = None

    def configure(self, parameters: Any) -> None:
        super().configure(parameters)
        for extension in parameters.headerExtensions:
            if extension.uri == PLAYOUT_DELAY_URI:
                self.playout_delay_id = extension.id

    def set(self, values: rtp.HeaderExtensions) -> tuple[int, bytes]:
        profile, data = super().set(values)
        if self.playout_delay_id is None:
            return profile, data
        if profile == ONE_BYTE_PROFILE and self.playout_delay_id <= ONE_BYTE_MAX_ID:
            # Every packet: the element is appended to aiortc's own, not unpacked and packed again.
            end = 0
            while end < len(data) and data[end]:  # the elements, up to aiortc's zero padding
                end += 2 + (data[end] & 0x0F)
            body = data[:end] + bytes([self.playout_delay_id << 4 | len(PLAYOUT_DELAY_ZERO) - 1]) + PLAYOUT_DELAY_ZERO
            return profile, body + bytes(-len(body) % 4)
        extensions = rtp.unpack_header_extensions(profile, data) if data else []
        extensions.append((self.playout_delay_id, PLAYOUT_DELAY_ZERO))
        return rtp.pack_header_extensions(extensions)


def with_playout_delay(sender: rtcrtpsender.RTCRtpSender) -> None:
    """Before the sender starts: its packets carry the playout delay if the answer kept it."""
    setattr(sender, SENDER_EXTENSIONS_MAP, PlayoutDelayMap())


def _video_codec(mime: str, payload_type: int, parameters: dict[str, Any]) -> list[RTCRtpCodecParameters]:
    feedback = [
        RTCRtcpFeedback(type="nack"),
        RTCRtcpFeedback(type="nack", parameter="pli"),
        RTCRtcpFeedback(type="goog-remb"),
    ]
    return [
        RTCRtpCodecParameters(mime, 90000, payloadType=payload_type, rtcpFeedback=feedback, parameters=parameters),
        RTCRtpCodecParameters("video/rtx", 90000, payloadType=payload_type + 1, parameters={"apt": payload_type}),
    ]


def _install() -> None:
    video = aiortc_codecs.CODECS["video"]
    used = {codec.payloadType for codecs in aiortc_codecs.CODECS.values() for codec in codecs}
    if not any(codec.mimeType == "video/VP9" for codec in video):
        vp9, av1 = max(used) + 1, max(used) + 3
        video += _video_codec("video/VP9", vp9, {"profile-id": 0})
        video += _video_codec("video/AV1", av1, {"level-idx": 5, "profile": 0, "tier": 0})
    extensions = aiortc_codecs.HEADER_EXTENSIONS["video"]
    taken = {ext.id for kind in aiortc_codecs.HEADER_EXTENSIONS.values() for ext in kind}
    if not any(ext.uri == PLAYOUT_DELAY_URI for ext in extensions):
        assert PLAYOUT_DELAY_ID not in taken, "the playout delay's extension id is taken"
        extensions.append(RTCRtpHeaderExtensionParameters(id=PLAYOUT_DELAY_ID, uri=PLAYOUT_DELAY_URI))
    stock = rtcrtpsender.get_encoder

    def get_encoder(codec: RTCRtpCodecParameters) -> Any:
        mime = codec.mimeType.lower()
        if mime == "video/vp8":
            return Vp8Payloader()  # the stages encode: only aiortc's packing, done once for every viewer
        if mime == "video/vp9":
            return Vp9Payloader()
        if mime == "video/av1":
            return Av1Payloader()
        return stock(codec)

    if getattr(stock, "__module__", "") != __name__:
        rtcrtpsender.get_encoder = get_encoder  # type: ignore[assignment]


_install()
