"""A host of the test's own: a network namespace joined to this one by a veth pair (as root).

``namespace()`` makes the namespace and the pair under unique names, a /30 of the benchmarking
range 198.18.0.0/15 (RFC 2544) between them, and removes both even when the test fails; nothing
outside them is touched. ``RemoteHost`` runs an asyncio loop on a thread that has joined the
namespace, so every socket the coroutines it runs open (aiortc's included) is the namespace's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import ipaddress
import os
import random
import subprocess
import threading
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from .patience import START, STOP

CLONE_NEWNET = 0x40000000
BENCHMARKING = ipaddress.ip_network("198.18.0.0/15")
T = TypeVar("T")


@dataclass(frozen=True)
class Link:
    namespace: str
    outside: str  # our end's address, in this (the server's) namespace
    inside: str  # the namespace's end's address
    device: str = ""  # our end of the veth pair (where ``tc`` shapes what goes to the namespace)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=START)


@contextlib.contextmanager
def namespace() -> Iterator[Link]:
    tag = uuid.uuid4().hex[:8]
    name, outer, inner = f"nkt{tag}", f"nko{tag}", f"nki{tag}"
    base = BENCHMARKING.network_address + 4 * random.randrange(BENCHMARKING.num_addresses // 4)
    outside, inside = str(base + 1), str(base + 2)
    try:
        ip("netns", "add", name)
        ip("link", "add", outer, "type", "veth", "peer", "name", inner, "netns", name)
        ip("addr", "add", f"{outside}/30", "dev", outer)
        ip("link", "set", outer, "up")
        ip("-n", name, "addr", "add", f"{inside}/30", "dev", inner)
        ip("-n", name, "link", "set", inner, "up")
        ip("-n", name, "link", "set", "lo", "up")
        yield Link(name, outside, inside, outer)
    finally:
        subprocess.run(["ip", "link", "del", outer], capture_output=True, timeout=STOP)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=STOP)


def shape(link: Link, rate: str | None) -> None:
    """What goes to the namespace passes at ``rate`` (``tc`` units: "1mbit"; None: unshaped), with a short
    queue that drops. A token bucket, since this kernel has no netem; a packet waiting over 50 ms is dropped."""
    if rate is None:
        subprocess.run(["tc", "qdisc", "del", "dev", link.device, "root"], check=True, timeout=STOP)
        return
    bucket = ["tbf", "rate", rate, "burst", "16kb", "latency", "50ms"]
    subprocess.run(["tc", "qdisc", "add", "dev", link.device, "root", *bucket], check=True, timeout=STOP)


UDP_DROPPED = """
table inet nekotest {
    chain input { type filter hook input priority 0; meta l4proto udp drop; }
    chain output { type filter hook output priority 0; meta l4proto udp drop; }
}
"""


def drop_udp(namespace: str) -> None:
    """Every UDP datagram into or out of the namespace is dropped: a network that lets only TCP through.
    The rules live in the namespace and go with it."""
    subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=UDP_DROPPED, text=True, check=True, timeout=START
    )


class RemoteHost:
    """An event loop on a thread inside a namespace; ``run`` awaits a coroutine there."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._ready: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._serve, name=f"host-{namespace}", daemon=True)
        self._thread.start()
        self.loop = self._ready.result(START)

    def _serve(self) -> None:
        try:
            join(self._namespace)
            loop = asyncio.new_event_loop()
        except BaseException as exc:
            self._ready.set_exception(exc)
            raise
        self._ready.set_result(loop)
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(STOP)


def join(namespace: str) -> None:
    """The calling thread (only) moves into the namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"setns into {namespace}: {os.strerror(code)}")
    finally:
        os.close(fd)
