"""``webrtc.udpmux``: one UDP port for the ICE, DTLS and SRTP of every peer (Neko's UDP mux).

As Neko's (pion's ``MultiUDPMux``, server/internal/webrtc/manager.go), one socket is bound on the
port per local address at start, and every agent's host candidate on that address is that socket.
aioice gives each agent sockets of its own, so each agent gets a stand-in protocol per shared
socket (rtc_mux.agent_protocol) whose sends go out of it. What arrives is routed:

- a STUN request by its USERNAME, whose part before the colon is the ufrag of one of our agents;
  once a request authenticates (its MESSAGE-INTEGRITY is signed with that agent's password), its
  source address is routed to that agent too. Our ufrag is looked up at each request, so an ICE
  restart's new one is found at once;
- a STUN response by its transaction: the agent that asked (its checks, its STUN server queries);
- anything else (DTLS, SRTP and SRTCP, a check from a routed address) by its source address.

A request with an unknown ufrag and datagrams from unrouted addresses are dropped: they change
nothing. An agent's protocols close with it, and their routes go with them.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from typing import Any

from aioice import Connection

from . import rtc_mux
from .ports import host_candidate

log = logging.getLogger(__name__)
Address = tuple[str, int]
STUN_FIRST_BYTES = range(4)  # RFC 7983: the first byte tells STUN (0-3) from DTLS (20-63) and RTP (128-191)


class SharedSocket(asyncio.DatagramProtocol):
    """One of the mux's sockets: the agents' protocols on it, and the remote addresses routed to them."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.protocols: set[Any] = set()
        self.routes: dict[Address, Any] = {}
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None  # closed at shutdown: what agents still send goes nowhere

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        source = (addr[0], addr[1])
        protocol = self._destination(data, source)
        if protocol is None:
            self.dropped += 1
            return
        protocol.datagram_received(data, source)

    def _destination(self, data: bytes, source: Address) -> Any:
        if data[:1] and data[0] in STUN_FIRST_BYTES:
            message = rtc_mux.stun_message(data)
            return None if message is None else self._stun_destination(message, source)
        return self.routes.get(source)

    def _stun_destination(self, message: Any, source: Address) -> Any:
        ufrag = rtc_mux.request_ufrag(message)
        if ufrag is not None:
            protocol = self.routes.get(source)
            if protocol is None or rtc_mux.local_ufrag(protocol) != ufrag:
                protocol = next((p for p in self.protocols if rtc_mux.local_ufrag(p) == ufrag), None)
            if protocol is not None and rtc_mux.authenticates(protocol, message):
                self.routes[source] = protocol
            return protocol
        asked = next((p for p in self.protocols if rtc_mux.awaits(p, message)), None)
        return asked if asked is not None else self.routes.get(source)

    def forget(self, protocol: Any) -> None:
        """An agent's protocol closed: it and the addresses routed to it go."""
        self.protocols.discard(protocol)
        for address in [a for a, p in self.routes.items() if p is protocol]:
            del self.routes[address]

    def sockname(self) -> Address:
        assert self.transport is not None
        name = self.transport.get_extra_info("sockname")
        return (name[0], name[1])


class AgentTransport(asyncio.DatagramTransport):
    """What an agent's protocol holds as its transport: sends go out of the shared socket."""

    def __init__(self, shared: SharedSocket) -> None:
        super().__init__()
        self._shared = shared
        self._protocol: Any = None
        self._closing = False

    def attach(self, protocol: Any) -> None:
        self._protocol = protocol
        self._shared.protocols.add(protocol)

    def sendto(self, data: Any, addr: Any = None) -> None:
        if not self._closing and self._shared.transport is not None:
            self._shared.transport.sendto(data, addr)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._shared.sockname() if name == "sockname" else default

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Closes the agent's share only; the socket stays open for the others."""
        if self._closing:
            return
        self._closing = True
        self._shared.forget(self._protocol)
        asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


def _bound(address: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class UdpMux:
    """The shared sockets, opened at start (``open``) and closed at shutdown (``close``)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sockets: list[SharedSocket] = []

    async def open(self) -> None:
        """Binds the port on each local address; raises OSError when it is taken."""
        loop = asyncio.get_running_loop()
        for address in rtc_mux.host_addresses():
            try:
                # Bound here, not by the loop: uvloop's own bind error carries no errno to tell "taken" by.
                _, shared = await loop.create_datagram_endpoint(SharedSocket, sock=_bound(address, self.port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    self.close()
                    raise OSError(exc.errno, f"webrtc.udpmux: UDP port {self.port} is taken on {address}") from exc
                log.warning("webrtc.udpmux: cannot bind %s port %d (%s)", address, self.port, exc)
                continue
            _enlarge_buffers(shared)
            self.sockets.append(shared)
        log.info("webrtc.udpmux: every peer on UDP port %d of %s", self.port, [s.sockname()[0] for s in self.sockets])

    def close(self) -> None:
        for shared in self.sockets:
            if shared.transport is not None:
                shared.transport.close()
        self.sockets = []

    async def bind(self, agent: Connection, component: int, addresses: list[str]) -> list[Any]:
        """The agent's host protocols: one on each shared socket (none when it gathers no host candidate)."""
        if not addresses:
            return []  # the relay-only policy
        return [_agent_protocol(agent, component, shared) for shared in self.sockets]

    @property
    def routes(self) -> dict[Address, Any]:
        """Every routed remote address and the agent protocol it goes to."""
        return {address: p for shared in self.sockets for address, p in shared.routes.items()}

    @property
    def agents(self) -> list[Connection]:
        """The agents with a protocol on the mux."""
        found = {id(a): a for a in (rtc_mux.agent(p) for s in self.sockets for p in s.protocols)}
        return list(found.values())


def _agent_protocol(agent: Connection, component: int, shared: SharedSocket) -> Any:
    candidate = host_candidate(component, *shared.sockname())
    transport = AgentTransport(shared)
    protocol = rtc_mux.agent_protocol(agent, transport, candidate)
    transport.attach(protocol)
    return protocol


def _enlarge_buffers(shared: SharedSocket) -> None:
    sock = shared.transport.get_extra_info("socket") if shared.transport is not None else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rtc_mux.RECEIVE_BUFFER_SIZE)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, rtc_mux.RECEIVE_BUFFER_SIZE)
