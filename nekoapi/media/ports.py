"""``webrtc.epr``: ICE host candidates on UDP ports within a range, which a firewall can open.

aioice (under aiortc) has no option for this: it binds port 0. Each connection's candidate
gathering is replaced by one that binds the host sockets within the range, asks the STUN
server (if any) about those sockets, and leaves TURN to aioice (a relay's socket talks to
the TURN server, not to the viewer, so it needs no open port).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import types
from typing import Any

from aioice import ice
from aioice.candidate import Candidate, candidate_foundation, candidate_priority

log = logging.getLogger(__name__)


def restrict(connection: ice.Connection, ports: tuple[int, int]) -> None:
    original = connection.get_component_candidates

    async def gather(self: ice.Connection, component: int, addresses: list[str], timeout: int = 5) -> list[Candidate]:
        protocols = [p for p in [await _bind(self, component, a, ports) for a in addresses] if p is not None]
        self._protocols += protocols
        candidates = [p.local_candidate for p in protocols]
        if self.stun_server:
            found = await asyncio.gather(
                *(ice.server_reflexive_candidate(p, self.stun_server) for p in protocols), return_exceptions=True
            )
            candidates += [c for c, _ in (f for f in found if not isinstance(f, BaseException))]
        return candidates + await original(component, [], timeout)  # TURN only

    connection.get_component_candidates = types.MethodType(gather, connection)  # type: ignore[method-assign]


async def _bind(connection: ice.Connection, component: int, address: str, ports: tuple[int, int]) -> Any:
    loop = asyncio.get_running_loop()
    candidates = list(range(ports[0], ports[1] + 1))
    random.shuffle(candidates)
    for port in candidates:
        try:
            _, protocol = await loop.create_datagram_endpoint(
                lambda: ice.StunProtocol(connection), local_addr=(address, port)
            )
        except OSError:
            continue
        sock = protocol.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, ice.turn.UDP_SOCKET_BUFFER_SIZE)
        host, bound = protocol.transport.get_extra_info("sockname")[:2]
        protocol.local_candidate = Candidate(
            foundation=candidate_foundation("host", "udp", host),
            component=component,
            transport="udp",
            priority=candidate_priority(component, "host"),
            host=host,
            port=bound,
            type="host",
        )
        return protocol
    log.warning("webrtc.epr: no free UDP port in %d-%d on %s", ports[0], ports[1], address)
    return None


def transports(pc: Any) -> list[Any]:
    """The ICE transports of a peer connection (one per m-line before bundling, then one)."""
    dtls = [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    found = {id(t.transport): t.transport for t in dtls if t is not None}
    return list(found.values())


def connections(pc: Any) -> list[ice.Connection]:
    """The ICE agents of a peer connection."""
    return [t._connection for t in transports(pc)]
