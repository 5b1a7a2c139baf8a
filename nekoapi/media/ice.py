"""ICE settings: the servers clients are told about, the ones the server uses, and no STUN otherwise.

``webrtc.iceservers.frontend`` goes to clients in ``signal/provide``; ``.backend`` is what
our own ICE agent uses (ignored with ``icelite``). Unlike Neko there is no public STUN
default: without configured servers the server offers host candidates only, which is what
a LAN or a server with ``nat1to1`` needs, and nothing is sent to a third party.
"""

from __future__ import annotations

import json
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer

from ..config import ConfigError, WebRTCConfig


def servers(config: WebRTCConfig, which: str) -> list[dict[str, Any]]:
    text = getattr(config.iceservers, which)
    key = f"webrtc.iceservers.{which}"
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{key}: invalid JSON ({exc.msg})") from None
    if not isinstance(value, list) or not all(isinstance(s, dict) and s.get("urls") for s in value):
        raise ConfigError(f"{key}: expected a list of {{urls, username?, credential?}}")
    return [_normalised(s) for s in value]


def _normalised(server: dict[str, Any]) -> dict[str, Any]:
    urls = server["urls"]
    out: dict[str, Any] = {"urls": [urls] if isinstance(urls, str) else list(urls)}
    for name in ("username", "credential"):
        if server.get(name):
            out[name] = server[name]
    return out


def rtc_configuration(config: WebRTCConfig) -> RTCConfiguration:
    """``iceServers=[]`` when none are configured: aiortc would otherwise ask a public STUN server."""
    backend = [] if config.icelite else servers(config, "backend")
    return RTCConfiguration(iceServers=[RTCIceServer(**s) for s in backend])


def port_range(config: WebRTCConfig) -> tuple[int, int] | None:
    if not config.epr:
        return None
    low, sep, high = config.epr.partition("-")
    if not (sep and low.strip().isdigit() and high.strip().isdigit()):
        raise ConfigError(f"webrtc.epr: expected a range like 59000-59100, got {config.epr!r}")
    first, last = int(low), int(high)
    if not 0 < first <= last < 65536:
        raise ConfigError(f"webrtc.epr: expected 1 <= min <= max <= 65535, got {config.epr!r}")
    return first, last
