"""The server's ICE candidates: host sockets of our choosing, STUN and TURN, and 1:1 NAT.

aioice binds a socket of its own per local address and agent, on any port. ``webrtc.udpmux``
(udpmux.py) and ``webrtc.epr`` (ports.py) supply the UDP host sockets instead, and
``webrtc.tcpmux`` (tcpmux.py) adds passive TCP host candidates on its port. With ``tcpmux`` alone
(no ``udpmux``, no ``epr``) the host candidates are TCP only, as Neko's (pion is given TCP network
types only then). The STUN server, if any, is asked about the UDP sockets, and TURN is left to
aioice (a relay talks to the TURN server, not to the viewer, so it needs no open port).
``webrtc.nat1to1`` (or the address ``webrtc.ip_retrieval_url`` answered) then replaces each host
candidate's address, as Neko does (pion's NAT1To1IPs with the host candidate type,
server/internal/webrtc/manager.go).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any, Protocol

from aioice import Candidate, Connection

from ..config import WebRTCConfig
from . import publicip
from . import rtc_internals as rtc
from .ports import RangeSockets
from .tcpmux import TcpMux
from .udpmux import UdpMux

log = logging.getLogger(__name__)
STUN_TIMEOUT = 5  # s, as aioice waits for its own server-reflexive and relayed candidates


class HostSockets(Protocol):
    async def bind(self, agent: Connection, component: int, addresses: list[str]) -> list[Any]:
        """The agent's host protocols (aioice ``StunProtocol``s, their ``local_candidate`` set)."""
        ...


class Nat1to1:
    """Public addresses for local ones: a ``public/local`` pair for that local address, a lone
    ``public`` for every other one of its family; an address with neither stays (as pion does)."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        self._pairs: dict[str, str] = {}
        self._sole: dict[int, str] = {}
        for entry in entries:
            public, _, local = entry.partition("/")
            if local:
                self._pairs[str(ipaddress.ip_address(local))] = public
            else:
                self._sole[ipaddress.ip_address(public).version] = public

    def public(self, local: str) -> str:
        try:
            address = ipaddress.ip_address(local)
        except ValueError:
            return local  # an mDNS name
        return self._pairs.get(str(address)) or self._sole.get(address.version, local)


class Candidates:
    """How every peer's agents gather (one for the server): the muxes, the port range, the NAT addresses."""

    def __init__(self, config: WebRTCConfig) -> None:
        self.mux = UdpMux(config.udpmux) if config.udpmux else None
        self.tcp = TcpMux(config.tcpmux) if config.tcpmux else None
        self._range = RangeSockets(config.epr) if config.epr is not None and self.mux is None else None
        self.nat = Nat1to1(config.nat1to1) if config.nat1to1 else None
        self._lookup = "" if config.nat1to1 else config.ip_retrieval_url

    async def start(self) -> None:
        """Opens the muxes' sockets; looks the public address up (``webrtc.ip_retrieval_url``)."""
        if self.mux is not None:
            await self.mux.open()
        if self.tcp is not None:
            try:
                await self.tcp.open()
            except OSError:
                self.close()
                raise
        if self._lookup:
            found = await publicip.lookup(self._lookup)
            self.nat = Nat1to1((found,)) if found else None

    def close(self) -> None:
        if self.mux is not None:
            self.mux.close()
        if self.tcp is not None:
            self.tcp.close()

    def install(self, agent: Connection) -> None:
        """The agent gathers as configured (aioice's own way when nothing is)."""
        hosts = [s for s in (self.mux or self._range, self.tcp) if s is not None]
        if self.tcp is not None:
            rtc.keep_the_best_nomination(agent)  # UDP stays the path where it works
        if not hosts and self.nat is None:
            return
        nat = self.nat

        async def gather(
            agent: Connection, component: int, addresses: list[str], timeout: int, aioices_own: rtc.Gathering
        ) -> list[Candidate]:
            if not hosts:
                found = await aioices_own(component, addresses, timeout)
            else:
                found = await _on_sockets(agent, hosts, component, addresses, timeout, aioices_own)
            return found if nat is None else _behind(nat, found)

        rtc.replace_gathering(agent, gather)


def _behind(nat: Nat1to1, candidates: list[Candidate]) -> list[Candidate]:
    """The host candidates at their public addresses, each address, port and transport once (several
    local addresses may have one public one: on a mux's port, they would be the same candidate)."""
    seen: set[tuple[str, int, str, str]] = set()
    kept = []
    for candidate in candidates:
        if candidate.type == "host":
            candidate.host = nat.public(candidate.host)
        key = (candidate.host, candidate.port, candidate.type, candidate.transport)
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept


async def _on_sockets(
    agent: Connection,
    hosts: list[HostSockets],
    component: int,
    addresses: list[str],
    timeout: int,
    aioices_own: rtc.Gathering,
) -> list[Candidate]:
    protocols = [p for sockets in hosts for p in await sockets.bind(agent, component, addresses)]
    rtc.adopt_sockets(agent, protocols)
    candidates = [p.local_candidate for p in protocols]
    stun = rtc.stun_server(agent)
    udp = [p for p in protocols if p.local_candidate.transport == "udp"]
    ipv4 = [p for p in udp if ipaddress.ip_address(p.local_candidate.host).version == 4]
    if stun and ipv4:
        asked = [asyncio.ensure_future(rtc.server_reflexive_candidate(p, stun)) for p in ipv4]
        done, pending = await asyncio.wait(asked, timeout=STUN_TIMEOUT)
        for task in pending:
            task.cancel()
        candidates += [t.result()[0] for t in done if t.exception() is None]
    return candidates + await aioices_own(component, [], timeout)  # TURN only
