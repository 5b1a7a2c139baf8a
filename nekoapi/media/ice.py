"""ICE settings: the servers clients are told about, the ones the server uses, and no STUN otherwise.

``webrtc.iceservers.frontend`` goes to clients in ``signal/provide``; ``.backend`` is what
our own ICE agent uses (ignored with ``icelite``). Unlike Neko there is no public STUN
default: without configured servers the server offers host candidates only, which is what
a LAN or a server with ``nat1to1`` needs, and nothing is sent to a third party. The
configuration parses and checks both lists (``configkeys/webrtc.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from aiortc import RTCConfiguration, RTCIceServer

from ..config import WebRTCConfig


def servers(config: WebRTCConfig, which: Literal["frontend", "backend"]) -> list[dict[str, Any]]:
    return [server.to_dict() for server in getattr(config.iceservers, which)]


def rtc_configuration(config: WebRTCConfig) -> RTCConfiguration:
    """``iceServers=[]`` when none are configured: aiortc would otherwise ask a public STUN server."""
    backend = [] if config.icelite else servers(config, "backend")
    return RTCConfiguration(iceServers=[RTCIceServer(**s) for s in backend])
