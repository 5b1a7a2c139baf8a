"""What the bundled TURN relay is told, and what clients are given for it.

coturn authenticates with the TURN REST API scheme (``use-auth-secret``): a client's username is
``expiry:session id`` and its password the base64 HMAC-SHA1 of that username under the shared
secret, so no password is stored anywhere and a credential dies on its own at its expiry.

The relay is no open relay: every peer address is denied but the server's own (``allowed-peer-ip``
wins over ``denied-peer-ip`` in coturn), so an allocation reaches nekoapi's ICE agent and nothing
else. Loopback peers stay refused (coturn 4.6's default): our ICE agent never offers a loopback
candidate. TCP relays (RFC 6062) are off, so the relay never opens a TCP connection for anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from ..config import TurnConfig

DENY_ALL = ("0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")


@dataclass(frozen=True)
class Credentials:
    username: str
    credential: str


def credentials(secret: str, session_id: str, expires: int) -> Credentials:
    """The TURN REST API credentials of ``session_id``, valid until the Unix time ``expires``."""
    username = f"{expires}:{session_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return Credentials(username, base64.b64encode(digest).decode())


@dataclass(frozen=True)
class RelayPlan:
    """Where the relay listens and relays, and whom it may relay to."""

    port: int
    realm: str
    relays: tuple[str, ...]  # the server's own addresses, where the relay's allocations are
    peers: tuple[str, ...]  # the addresses of nekoapi's ICE candidates: the only peers allowed
    external_ip: str = ""  # coturn's ``external-ip`` (relay addresses behind 1:1 NAT)
    tls: tuple[str, str, int] | None = None  # certificate file, key file, TLS port


def relay_plan(
    turn: TurnConfig, own: tuple[str, ...], nat: tuple[str, ...], tls: tuple[str, str, int] | None
) -> tuple[RelayPlan, tuple[str, ...]]:
    """The relay on one of the server's ``own`` addresses per family, and the hosts clients reach it at.

    Only nekoapi, on this host, sends to the relay's addresses, so one a family will do: the external
    address when it is ours, else the first (coturn would otherwise take turns over all of them,
    interfaces that come and go included). Behind 1:1 NAT (``nat``: the public addresses of
    ``webrtc.nat1to1``, or an external address that is not ours) our host candidates carry the
    public address, so it is an allowed peer too, and coturn's ``external-ip``. Clients reach the
    relay at the external address, else the public one, else at each of our own.
    """
    external = turn.external_address
    public = external if _is_ip(external) and external not in own else (nat[0] if nat else "")
    peers = tuple(dict.fromkeys([*own, *nat, *([public] if public else [])]))
    hosts = (external,) if external else (nat[:1] or own)
    relays: dict[int, str] = {}
    for address in [external, *own] if external in own else own:
        relays.setdefault(_family(address), address)
    return RelayPlan(turn.port, turn.realm, tuple(relays.values()), peers, public, tls), hosts


def coturn_config(plan: RelayPlan, secret: str, folder: str) -> str:
    """A turnserver.conf; ``folder`` (private to nekoapi) holds its pid file, database and log."""
    lines = [
        f"listening-port={plan.port}",
        *(f"relay-ip={address}" for address in plan.relays),
        "fingerprint",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        f"realm={plan.realm}",
        "no-cli",
        "no-rfc5780",  # it would listen on the port after ours as well
        "no-tcp-relay",
        "no-multicast-peers",
        *(f"denied-peer-ip={block}" for block in DENY_ALL),
        *(f"allowed-peer-ip={address}" for address in plan.peers),
        f"pidfile={folder}/turnserver.pid",
        f"userdb={folder}/turndb",
        f"log-file={folder}/turnserver.log",
        "simple-log",
        "no-stdout-log",
        "no-software-attribute",
    ]
    if plan.external_ip:
        lines.append(f"external-ip={plan.external_ip}")
    if plan.tls is None:
        lines += ["no-tls", "no-dtls"]
    else:
        cert, key, port = plan.tls
        lines += [f"tls-listening-port={port}", f"cert={cert}", f"pkey={key}"]
    return "\n".join(lines) + "\n"


def urls(hosts: tuple[str, ...], port: int, tls_port: int | None) -> list[str]:
    """The ``turn:`` (UDP and TCP) and, with TLS, ``turns:`` URLs of the relay at each of ``hosts``."""
    found = []
    for host in hosts:
        shown = f"[{host}]" if _is_ipv6(host) else host
        found += [f"turn:{shown}:{port}?transport=udp", f"turn:{shown}:{port}?transport=tcp"]
        if tls_port is not None:
            found.append(f"turns:{shown}:{tls_port}?transport=tcp")
    return found


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _family(address: str) -> int:
    return ipaddress.ip_address(address).version


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False
