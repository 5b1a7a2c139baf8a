"""Viewers on a host of their own (a network namespace, tests/support/netns.py) and what they see."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from nekoapi.media import rtc_internals as rtc
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost
from tests.support.patience import REPLY

from .client import Viewer
from .server import media_server

T = TypeVar("T")
SMALL = {"small": {"width": 320, "height": 180, "fps": 10, "bitrate": 300}}  # many decoders in one process


# The muxes bind the port on every local address, and other tests' namespaces add addresses of their own
# meanwhile: a port is probed on the wildcard address, which is free only where no address holds it.
ANY_ADDRESS = "0.0.0.0"


def free_udp_port(address: str = ANY_ADDRESS) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def free_port_pair(address: str = ANY_ADDRESS) -> int:
    """A port number free for both UDP and TCP on ``address`` (Neko's documented pair shares one)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((address, port))
                except OSError:
                    continue
                return port


@contextlib.contextmanager
def muxed_server(display: str, pulse: Any, link: Link, **env: str) -> Iterator[LiveServer]:
    """A media server its viewers reach across ``link``, every peer on one UDP port (``webrtc.udpmux``)."""
    env = {
        "NEKO_WEBRTC_UDPMUX": str(free_udp_port()),
        "NEKO_CAPTURE_VIDEO_IDS": "small",
        "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL),
        **env,
    }
    with media_server(display, pulse, host=link.outside, **env) as server:
        yield server


async def watching(server: LiveServer, name: str) -> Viewer:
    """(On the remote host.) A viewer logged in, connected and decoding."""
    viewer = Viewer(server.http_url, server.ws_url())
    await viewer.login(name, USER_PASSWORD)
    await viewer.watch({"audio": {"disabled": True}})
    await viewer.frame()
    return viewer


def server_candidates(viewer: Viewer) -> list[tuple[str, int]]:
    lines = [c["candidate"] for c in viewer.candidates if c["candidate"]]
    return [(parts[4], int(parts[5])) for parts in (line.split(" ") for line in lines)]


def selected_remote(viewer: Viewer) -> tuple[str, int]:
    """Where the viewer's ICE agent sends: the remote address of its nominated pair."""
    transport = viewer.pc.getTransceivers()[0].sender.transport.transport
    return rtc.nominated(rtc.ice_agent(transport))[1].remote_addr


def local_ports(viewer: Viewer) -> set[int]:
    gatherers = {id(t.sender.transport): t.sender.transport.transport.iceGatherer for t in viewer.pc.getTransceivers()}
    return {c.port for g in gatherers.values() for c in g.getLocalCandidates()}


async def until(condition: Callable[[], bool], timeout: float = REPLY) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def together(*coroutines: Awaitable[T]) -> list[T]:
    """(On the remote host.) The coroutines run at once there."""
    return list(await asyncio.gather(*coroutines))


async def close_all(remote: RemoteHost, viewers: list[Viewer]) -> None:
    await remote.run(together(*(v.close() for v in viewers)))
