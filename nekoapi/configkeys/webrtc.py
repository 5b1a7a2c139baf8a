"""``webrtc.*``: ICE servers, ICE-lite and trickle, 1:1 NAT addresses and their lookup, the UDP port
range, the single UDP port and the single TCP port (Neko's ``internal/config/webrtc.go``)."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, NamedTuple

from . import v2
from .declare import Invalid, Legacy, key, section
from .values import json_list, positive, strings, text, within


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server, as Neko's ``types.ICEServer`` (and a browser's RTCIceServer)."""

    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    def to_dict(self) -> dict[str, Any]:
        """What ``signal/provide`` carries: ``urls`` always a list, empty credentials left out."""
        found: dict[str, Any] = {"urls": list(self.urls)}
        if self.username:
            found["username"] = self.username
        if self.credential:
            found["credential"] = self.credential
        return found


def ice_servers(raw: Any) -> tuple[IceServer, ...]:
    """A YAML list, or JSON text, of {urls, username?, credential?}; ``urls`` one URL or a list."""
    return tuple(_ice_server(item) for item in json_list(raw, _SERVERS))


_SERVERS = "a list of {urls, username?, credential?}"


def _ice_server(item: Any) -> IceServer:
    urls = item.get("urls") if isinstance(item, dict) else None
    if isinstance(urls, str):
        urls = [urls]
    if not (urls and isinstance(urls, list) and all(isinstance(u, str) and u for u in urls)):
        raise Invalid(f"expected {_SERVERS}")
    try:
        return IceServer(tuple(urls), text(item.get("username", "")), text(item.get("credential", "")))
    except Invalid:
        raise Invalid(f"expected {_SERVERS}: username and credential are text") from None


class PortRange(NamedTuple):
    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


def port_range(raw: Any) -> PortRange | None:
    """Neko's ``webrtc.epr``, ``min-max``; empty means any port."""
    if raw is None or raw == "":
        return None
    low, sep, high = str(raw).partition("-")
    if not (sep and low.strip().isdigit() and high.strip().isdigit()):
        raise Invalid("expected a range like 59000-59100", got=raw)
    first, last = int(low), int(high)
    if not 0 < first <= last < 65536:
        raise Invalid("expected 1 <= min <= max <= 65535", got=raw)
    return PortRange(first, last)


def nat1to1_addresses(raw: Any) -> tuple[str, ...]:
    """Neko's ``webrtc.nat1to1`` as pion reads it: ``public`` (every local address of that family) or
    ``public/local`` (that local address only); one sole address per family, each local address once."""
    found = strings(raw)
    sole: set[int] = set()
    local: set[str] = set()
    for entry in found:
        public, _, mapped = entry.partition("/")
        family = _address(public, entry).version
        if not mapped:
            if family in sole:
                raise Invalid(f"expected one public IPv{family} address (or public/local pairs)", got=entry)
            sole.add(family)
        elif _address(mapped, entry).version != family or mapped in local:
            raise Invalid("expected public/local pairs of one family, each local address once", got=entry)
        else:
            local.add(mapped)
    return found


def _address(text: str, entry: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise Invalid("expected IP addresses, or public/local pairs of them", got=entry) from None


def turn_host(value: str) -> str | None:
    """``webrtc.turn.external_address``: empty, an IP address, or a host name (no port, no scheme)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if value and not _HOST_NAME.fullmatch(value):
            return "expected an IP address or a host name, without a port or a scheme"
    return None


_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")


def web_url(value: str) -> str | None:
    """``webrtc.ip_retrieval_url``: empty, or an http(s) URL."""
    url = urllib.parse.urlsplit(value)
    if value and not (url.scheme in ("http", "https") and url.hostname):
        return "expected an http:// or https:// URL, or nothing"
    return None


@dataclass(frozen=True)
class IceServersConfig:
    frontend: tuple[IceServer, ...] = key(
        (),
        "ICE servers sent to clients: a list of {urls, username?, credential?} (YAML, or JSON)",
        parse=ice_servers,
        secret=True,  # TURN credentials
        shown="[]",
        legacy=(
            Legacy("iceservers", convert=v2.ice_servers, note="a JSON list; sets both lists"),
            Legacy("iceserver", convert=v2.ice_server, note="URLs of one server, added to `NEKO_ICESERVERS`' list"),
        ),
    )
    backend: tuple[IceServer, ...] = key(
        (),
        "ICE servers the server itself uses, in the same form; none means no STUN at all",
        parse=ice_servers,
        secret=True,
        legacy=(
            Legacy("iceservers", convert=v2.ice_servers, note="a JSON list; sets both lists"),
            Legacy("iceserver", convert=v2.ice_server, note="URLs of one server, added to `NEKO_ICESERVERS`' list"),
        ),
        shown="[]",
    )


@dataclass(frozen=True)
class TurnConfig:
    enabled: bool = key(
        False,
        "start a TURN relay of our own (Debian's coturn) and give every client short-lived credentials"
        " for it in `signal/provide`; it relays only to the server's own addresses",
    )
    port: int = key(3478, "the relay's UDP and TCP port", check=within(1, 65535, "a port"))
    tls_port: int = key(
        5349,
        "the relay's TLS (and DTLS) port, opened when `server.cert` and `server.key` are set",
        check=within(1, 65535, "a port"),
    )
    realm: str = key("nekoapi", "the relay's realm", check=lambda v: None if v else "expected a realm")
    external_address: str = key(
        "",
        "where clients reach the relay (an IP address or a host name), put in the `turn:` URLs; an address"
        " that is not the server's own is also coturn's `external-ip` (1:1 NAT). Empty: the public address"
        " of `webrtc.nat1to1`, else each of the server's own addresses",
        check=turn_host,
    )
    secret: str = key(
        "",
        "the TURN REST API shared secret the credentials are signed with (32 characters or more); empty: a"
        " random one at each start",
        check=lambda v: None if not v or len(v) >= 32 else "expected at least 32 characters, or nothing",
        secret=True,
    )
    credential_lifetime: float = key(
        86400.0,
        "how long a client's TURN credentials stay valid; they must outlast a viewing session, since"
        " the browser refreshes its allocation with them",
        check=lambda v: None if v >= 60 else "expected at least a minute",
    )


@dataclass(frozen=True)
class EstimatorConfig:
    """Neko's ``webrtc.estimator.*`` keys, read by our estimator (media/adaptive.py): the durations'
    defaults are shorter than Neko's, so a viewer whose link drops is moved within a few seconds."""

    enabled: bool = key(
        True, "move each viewer that asks for `auto` between the ladder's rungs by its link (Neko: off)"
    )
    passive: bool = key(False, "estimate only: judge the links and log it, but move nobody")
    debug: bool = key(False, "log every judgement of an `auto` viewer's link")
    initial_bitrate: int = key(
        0,
        "bit/s: an `auto` viewer starts on the richest rung within it (0: on the default rung; Neko: 1000000)",
        check=within(0, 10**10, "a bitrate"),
    )
    read_interval: float = key(0.5, "how often the links are judged (Neko: 2s)", check=positive)
    stable_duration: float = key(
        8.0, "how long a link stays clear before a rung up is tried (Neko: 12s)", check=positive
    )
    unstable_duration: float = key(1.0, "how long a link stays congested before a rung down (Neko: 6s)", check=positive)
    stalled_duration: float = key(4.0, "how long without any report before a rung down (Neko: 24s)", check=positive)
    downgrade_backoff: float = key(3.0, "the least time between two moves down (Neko: 10s)", check=positive)
    upgrade_backoff: float = key(5.0, "the least time between two moves up (Neko: 5s)", check=positive)
    diff_threshold: float = key(
        0.15,
        "how far below the rung's bitrate a receiver's estimate (REMB) must fall to count as congestion",
        check=positive,
    )


@dataclass(frozen=True)
class WebRTCConfig:
    icelite: bool = key(
        False,
        "the server is an ICE-lite agent: `a=ice-lite` in its offers, controlled role, host (and nat1to1)"
        " candidates only, `webrtc.iceservers.backend` ignored",
        legacy=(Legacy("icelite"),),
    )
    icetrickle: bool = key(
        True,
        "send `signal/provide` before ICE gathering and trickle the server's candidates as"
        " `signal/candidate`; false puts them all in the offer",
    )
    iceservers: IceServersConfig = section(IceServersConfig)
    turn: TurnConfig = section(TurnConfig)
    estimator: EstimatorConfig = section(EstimatorConfig)
    nat1to1: tuple[str, ...] = key(
        (),
        "1:1 NAT: the public address that replaces the host candidates' own, one per address family,"
        " or `public/local` pairs",
        parse=nat1to1_addresses,
        legacy=(Legacy("nat1to1"),),
    )
    ip_retrieval_url: str = key(
        "",
        "while `webrtc.nat1to1` is empty, the public address is fetched from this URL at start (its"
        " answer is the address); empty: not looked up (Neko's default is https://checkip.amazonaws.com)",
        check=web_url,
        legacy=(Legacy("ipfetch", note="as it is; a failed lookup is warned about, not fatal"),),
    )
    epr: PortRange | None = key(
        None,
        "UDP port range `min-max` of the server's ICE host candidates; empty means any port",
        parse=port_range,
        legacy=(Legacy("epr", convert=v2.port_range, note="a reversed range is turned round"),),
    )
    udpmux: int = key(
        0,
        "one UDP port for the ICE, DTLS and SRTP of every peer (0: off); it replaces `webrtc.epr`",
        check=within(0, 65535, "a UDP port"),
        legacy=(Legacy("udpmux"),),
    )
    tcpmux: int = key(
        0,
        "one TCP port for ICE over TCP (RFC 6544 passive host candidates) of every peer (0: off); set"
        " alone, without `webrtc.udpmux` or `webrtc.epr`, the host candidates are TCP only, as in Neko",
        check=within(0, 65535, "a TCP port"),
        legacy=(Legacy("tcpmux"),),
    )
