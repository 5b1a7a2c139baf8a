"""aioice's side of the UDP mux (udpmux.py): agents' protocols on a shared socket, and what a datagram says.

aioice has no such thing: each agent owns the sockets it reads. The names used here are aioice's
internals, listed in rtc_internals.REQUIRED and checked when that module is imported (which this
one does first), so that another aioice version fails at start, naming them.
"""

from __future__ import annotations

import struct
from typing import Any

from aioice import Connection, ice, stun

from . import rtc_internals as rtc
from .rtc_internals import StunProtocol

RECEIVE_BUFFER_SIZE = rtc.UDP_SOCKET_BUFFER_SIZE  # aioice's, for its own sockets


def host_addresses() -> list[str]:
    """The local addresses aioice gathers host candidates on (no loopback, no IPv6 link-local)."""
    return ice.get_host_addresses(use_ipv4=True, use_ipv6=True)


def agent_protocol(connection: Connection, transport: Any, candidate: Any) -> StunProtocol:
    """A protocol of the agent whose datagrams go out through ``transport`` (a socket of every agent's)."""
    protocol = StunProtocol(connection)
    protocol.connection_made(transport)
    protocol.local_candidate = candidate
    return protocol


def agent(protocol: StunProtocol) -> Connection:
    return protocol.receiver


def stun_message(data: bytes) -> stun.Message | None:
    """The STUN message ``data`` holds; None for anything else, however malformed."""
    try:
        return stun.parse_message(data)
    except (ValueError, IndexError, struct.error):
        return None


def request_ufrag(message: stun.Message) -> str | None:
    """Our ufrag in a request's USERNAME (``ours:theirs``); None for other messages."""
    username = message.attributes.get("USERNAME")
    if message.message_class != stun.Class.REQUEST or not isinstance(username, str):
        return None
    return username.partition(":")[0]


def local_ufrag(protocol: StunProtocol) -> str:
    return protocol.receiver.local_username


def authenticates(protocol: StunProtocol, message: stun.Message) -> bool:
    """Whether a request's MESSAGE-INTEGRITY is signed with the password of the protocol's agent."""
    return message.check_message_integrity(protocol.receiver.local_password.encode("utf8"))


def awaits(protocol: StunProtocol, message: stun.Message) -> bool:
    """Whether ``message`` answers a STUN transaction of the protocol's (a check, a STUN server query)."""
    answer = message.message_class in (stun.Class.RESPONSE, stun.Class.ERROR)
    return answer and message.transaction_id in protocol.transactions
