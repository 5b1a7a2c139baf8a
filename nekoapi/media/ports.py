"""``webrtc.epr``: ICE host candidates on UDP ports within a range, which a firewall can open.

aioice (under aiortc) has no option for this: it binds port 0. ``RangeSockets`` binds an agent's
host sockets within the range instead (gathering.py asks the STUN server about them and leaves
TURN to aioice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from typing import Any

from aioice import Candidate, Connection

from . import rtc_internals as rtc

log = logging.getLogger(__name__)


class RangeSockets:
    """An agent's host sockets, one per local address, each on a free port of ``ports``."""

    def __init__(self, ports: tuple[int, int]) -> None:
        self.ports = ports

    async def bind(self, agent: Connection, component: int, addresses: list[str]) -> list[Any]:
        found = [await _bind(agent, component, address, self.ports) for address in addresses]
        return [protocol for protocol in found if protocol is not None]


async def _bind(connection: Connection, component: int, address: str, ports: tuple[int, int]) -> Any:
    loop = asyncio.get_running_loop()
    candidates = list(range(ports[0], ports[1] + 1))
    random.shuffle(candidates)
    for port in candidates:
        try:
            _, protocol = await loop.create_datagram_endpoint(
                lambda: rtc.StunProtocol(connection), local_addr=(address, port)
            )
        except OSError:
            continue
        sock = protocol.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rtc.UDP_SOCKET_BUFFER_SIZE)
        host, bound = protocol.transport.get_extra_info("sockname")[:2]
        protocol.local_candidate = host_candidate(component, host, bound)
        return protocol
    log.warning("webrtc.epr: no free UDP port in %d-%d on %s", ports[0], ports[1], address)
    return None


def host_candidate(component: int, host: str, port: int) -> Candidate:
    """A UDP host candidate, as aioice makes them."""
    return Candidate(
        foundation=rtc.candidate_foundation("host", "udp", host),
        component=component,
        transport="udp",
        priority=rtc.candidate_priority(component, "host"),
        host=host,
        port=port,
        type="host",
    )


def transports(pc: Any) -> list[Any]:
    """The ICE transports of a peer connection (one per m-line before bundling, then one)."""
    dtls = [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    found = {id(t.transport): t.transport for t in dtls if t is not None}
    return list(found.values())


def connections(pc: Any) -> list[Connection]:
    """The ICE agents of a peer connection."""
    return [rtc.ice_agent(t) for t in transports(pc)]
