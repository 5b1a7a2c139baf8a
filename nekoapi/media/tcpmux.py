"""``webrtc.tcpmux``: ICE over TCP (RFC 6544) on one TCP port shared by every peer (Neko's TCP mux).

As Neko's (pion's ``TCPMuxDefault``), the port is listened on at start, and every agent gets a
passive host candidate on it (``tcptype passive``, the real port: only active candidates carry
the discard port 9). The viewer's browser connects (an active candidate of its own) and sends
RFC 4571 frames: each packet (STUN, DTLS, SRTP) behind a two-byte length. What arrives is routed:

- the first frame of a connection must be a STUN binding request whose USERNAME starts with the
  ufrag of one of our agents, signed with that agent's password: the connection then belongs to
  that agent, for ICE, DTLS and SRTP, and its remote address to the agent's protocol;
- anything else first (junk, an unknown ufrag, a forged request, a frame longer than a request
  can be, nothing within ``FIRST_FRAME_TIMEOUT``) closes that connection, and only it.

aioice knows nothing of TCP: each agent gets a stand-in protocol per listener (rtc_mux.agent_protocol)
whose sends to an address go, framed, on the connection that address came on. An agent's protocols
close with it, and its connections with them. ``max_connections`` bounds the open connections.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import struct
from typing import Any

from aioice import Candidate, Connection

from . import rtc_internals as rtc
from . import rtc_mux

log = logging.getLogger(__name__)
Address = tuple[str, int]
FRAME_HEADER = struct.Struct("!H")  # RFC 4571: each packet's length, big-endian
FIRST_FRAME_LIMIT = 1500  # a binding request is about 100 bytes: a longer first frame is no ICE
FIRST_FRAME_TIMEOUT = 10.0  # s for a new connection to name its agent
MAX_CONNECTIONS = 1024
WRITE_BUFFER_LIMIT = 4 * 1024 * 1024  # bytes queued per connection (Neko's) before packets are dropped
# RFC 6544 section 4.2, as pion computes it: a passive host candidate's local preference (direction 4,
# other 8191), and a type preference lowered for TCP (host 126 - 27) so that every UDP candidate, server
# reflexive ones included, is preferred to it.
PASSIVE_PREFERENCE = (1 << 13) * 4 + 8191
TCP_HOST_TYPE_PREFERENCE = 126 - 27


def passive_candidate(component: int, host: str, port: int) -> Candidate:
    """A TCP passive host candidate on the listening port."""
    return Candidate(
        foundation=rtc.candidate_foundation("host", "tcp", host),
        component=component,
        transport="tcp",
        priority=(1 << 24) * TCP_HOST_TYPE_PREFERENCE + (1 << 8) * PASSIVE_PREFERENCE + (256 - component),
        host=host,
        port=port,
        type="host",
        tcptype="passive",
    )


class FramedConnection(asyncio.Protocol):
    """One accepted connection: its frames, and the agent protocol they go to once routed."""

    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.remote: Address = ("", 0)
        self.routed_to: Any = None
        self._timeout: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.remote = (peer[0], peer[1])
        if not self._listener.admit(self):
            transport.close()
            return
        self._timeout = asyncio.get_running_loop().call_later(FIRST_FRAME_TIMEOUT, self._refuse)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= FRAME_HEADER.size and self.transport and not self.transport.is_closing():
            (length,) = FRAME_HEADER.unpack_from(self._buffer)
            if self.routed_to is None and length > FIRST_FRAME_LIMIT:
                self._refuse()
                return
            if len(self._buffer) < FRAME_HEADER.size + length:
                return
            frame = bytes(self._buffer[FRAME_HEADER.size : FRAME_HEADER.size + length])
            del self._buffer[: FRAME_HEADER.size + length]
            if frame:  # an empty packet is nothing ICE, DTLS or SRTP can read (aiortc's DTLS reader fails on one)
                self._frame_received(frame)

    def _frame_received(self, frame: bytes) -> None:
        if self.routed_to is None:
            self.routed_to = self._listener.route(frame, self)
            if self.routed_to is None:
                self._refuse()
                return
            if self._timeout is not None:
                self._timeout.cancel()
        self.routed_to.datagram_received(frame, self.remote)

    def send(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            self._listener.dropped += 1  # a stalled viewer loses packets, as over UDP, rather than queueing them
            return
        self.transport.write(FRAME_HEADER.pack(len(data)) + data)

    def _refuse(self) -> None:
        if self.routed_to is None and self.transport is not None:
            self._listener.dropped += 1
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timeout is not None:
            self._timeout.cancel()
        self.transport = None
        self._listener.forget_connection(self)


class Listener:
    """The port on one local address: the agents' protocols on it and the connections accepted."""

    def __init__(self, mux: TcpMux) -> None:
        self._mux = mux
        self.server: asyncio.Server | None = None
        self.address: Address = ("", 0)
        self.protocols: set[Any] = set()
        self.dropped = 0  # connections refused or closed unrouted, and packets a stalled viewer lost

    def admit(self, connection: FramedConnection) -> bool:
        if len(self._mux.connections) >= self._mux.max_connections:
            self.dropped += 1
            return False
        self._mux.connections.add(connection)
        return True

    def route(self, frame: bytes, connection: FramedConnection) -> Any:
        """The agent protocol a connection's first frame names and authenticates to, or None."""
        message = rtc_mux.stun_message(frame)
        ufrag = None if message is None else rtc_mux.request_ufrag(message)
        if ufrag is None:
            return None
        protocol = next((p for p in self.protocols if rtc_mux.local_ufrag(p) == ufrag), None)
        if protocol is None or not rtc_mux.authenticates(protocol, message):
            return None
        protocol.transport.connections[connection.remote] = connection
        return protocol

    def forget_connection(self, connection: FramedConnection) -> None:
        self._mux.connections.discard(connection)
        if connection.routed_to is not None:
            connections = connection.routed_to.transport.connections
            if connections.get(connection.remote) is connection:
                del connections[connection.remote]

    def forget(self, protocol: Any) -> None:
        self.protocols.discard(protocol)


class AgentTransport(asyncio.DatagramTransport):
    """What an agent's protocol holds as its transport: a send to an address goes on its connection."""

    def __init__(self, listener: Listener) -> None:
        super().__init__()
        self._listener = listener
        self._protocol: Any = None
        self._closing = False
        self.connections: dict[Address, FramedConnection] = {}

    def attach(self, protocol: Any) -> None:
        self._protocol = protocol
        self._listener.protocols.add(protocol)

    def sendto(self, data: Any, addr: Any = None) -> None:
        connection = self.connections.get((addr[0], addr[1])) if addr is not None else None
        if connection is not None and not self._closing:
            connection.send(bytes(data))
        # Else a check towards an active candidate (port 9): over TCP only the viewer connects.

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._listener.address if name == "sockname" else default

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Closes the agent's connections; the port stays open for the others."""
        if self._closing:
            return
        self._closing = True
        self._listener.forget(self._protocol)
        for connection in list(self.connections.values()):
            connection.close()
        asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


def _listening(address: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart while old connections linger
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class TcpMux:
    """The listeners, opened at start (``open``) and closed at shutdown (``close``)."""

    def __init__(self, port: int, max_connections: int = MAX_CONNECTIONS) -> None:
        self.port = port
        self.max_connections = max_connections
        self.listeners: list[Listener] = []
        self.connections: set[FramedConnection] = set()

    async def open(self) -> None:
        """Listens on the port of each local address; raises OSError when it is taken."""
        loop = asyncio.get_running_loop()
        for address in rtc_mux.host_addresses():
            listener = Listener(self)
            try:
                sock = _listening(address, self.port)
                listener.server = await loop.create_server(functools.partial(FramedConnection, listener), sock=sock)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    self.close()
                    raise OSError(exc.errno, f"webrtc.tcpmux: TCP port {self.port} is taken on {address}") from exc
                log.warning("webrtc.tcpmux: cannot listen on %s port %d (%s)", address, self.port, exc)
                continue
            listener.address = (address, self.port)
            self.listeners.append(listener)
        log.info("webrtc.tcpmux: ICE over TCP on port %d of %s", self.port, [lis.address[0] for lis in self.listeners])

    def close(self) -> None:
        for listener in self.listeners:
            if listener.server is not None:
                listener.server.close()
        for connection in list(self.connections):
            connection.close()
        self.listeners = []

    async def bind(self, agent: Connection, component: int, addresses: list[str]) -> list[Any]:
        """The agent's passive protocols: one on each listener (none when it gathers no host candidate)."""
        if not addresses:
            return []  # the relay-only policy
        return [_agent_protocol(agent, component, listener) for listener in self.listeners]

    @property
    def routes(self) -> dict[Address, Any]:
        """Every routed connection's remote address and the agent protocol it goes to."""
        return {c.remote: c.routed_to for c in self.connections if c.routed_to is not None}

    @property
    def agents(self) -> list[Connection]:
        """The agents with a protocol on the mux."""
        found = {id(a): a for a in (rtc_mux.agent(p) for lis in self.listeners for p in lis.protocols)}
        return list(found.values())

    @property
    def dropped(self) -> int:
        return sum(listener.dropped for listener in self.listeners)


def _agent_protocol(agent: Connection, component: int, listener: Listener) -> Any:
    transport = AgentTransport(listener)
    protocol = rtc_mux.agent_protocol(agent, transport, passive_candidate(component, *listener.address))
    transport.attach(protocol)
    return protocol
