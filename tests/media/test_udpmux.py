"""``webrtc.udpmux``: every peer's ICE, DTLS and SRTP on one UDP port.

The viewers run on a host of their own (a network namespace the test makes, tests/support/netns.py),
reaching the server only through the veth pair between them, as viewers on another machine would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
from collections.abc import Iterator

import pytest
from aioice import stun

from nekoapi.media.ports import connections
from nekoapi.media.pulse import PulseServer
from nekoapi.media.udpmux import UdpMux
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost

from .desktop import Painter
from .remote import close_all, local_ports, muxed_server, selected_remote, server_candidates, together, until, watching
from .server import media_server
from .test_webrtc_video import frame_with

VIEWERS = 10


@pytest.fixture
def muxed(media_display: str, pulse: PulseServer, link: Link) -> Iterator[LiveServer]:
    with muxed_server(media_display, pulse, link) as server:
        yield server


def mux_of(server: LiveServer) -> UdpMux:
    mux = server.app.services.media.candidates.mux
    assert mux is not None
    return mux


async def test_ten_viewers_share_one_port_and_one_leaving_or_failing_leaves_the_others(
    muxed: LiveServer, link: Link, remote: RemoteHost, painter: Painter
) -> None:
    mux, media = mux_of(muxed), muxed.app.services.media
    viewers = await remote.run(together(*(watching(muxed, f"viewer{i}") for i in range(VIEWERS))))
    try:
        for viewer in viewers:
            found = server_candidates(viewer)
            assert found and {port for _, port in found} == {mux.port}, found
            assert (link.outside, mux.port) in found
            assert selected_remote(viewer) == (link.outside, mux.port)
        assert len(mux.agents) >= VIEWERS and len(media.viewers) == VIEWERS
        leaving, failing, staying = viewers[0], viewers[1], viewers[2:]
        gone = {(link.inside, port) for v in (leaving, failing) for port in local_ports(v)}
        assert gone & set(mux.routes), "the viewers' addresses were routed"
        await remote.run(leaving.close())  # its peer and its session go
        await remote.run(failing.pc.close())  # its connection ends; its session stays
        await until(lambda: len(media.viewers) == VIEWERS - 2)
        live = {id(agent) for v in media.viewers.values() for agent in connections(v.peer.pc)}
        await until(lambda: not gone & set(mux.routes) and {id(a) for a in mux.agents} <= live)
        assert all(id(agent) in live for agent in mux.agents)
        painter.fill((40, 200, 90))
        await remote.run(together(*(frame_with(v, (40, 200, 90)) for v in staying)))
    finally:
        await close_all(remote, viewers)


def binding_request(username: str, password: str) -> bytes:
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    request.attributes["USERNAME"] = username
    request.attributes["PRIORITY"] = 1
    request.attributes["ICE-CONTROLLED"] = 1
    request.add_message_integrity(password.encode())
    return bytes(request)


async def replies(target: tuple[str, int], datagrams: list[bytes], quiet: float = 1.0) -> list[bytes]:
    """(On the remote host.) What comes back to a socket that sends ``datagrams``, within ``quiet`` s of the last."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        for datagram in datagrams:
            await loop.sock_sendto(sock, datagram, target)
        answers: list[bytes] = []
        while True:
            try:
                answers.append((await asyncio.wait_for(loop.sock_recvfrom(sock, 2048), quiet))[0])
            except TimeoutError:
                return answers


async def test_an_unknown_ufrag_and_junk_change_nothing(
    muxed: LiveServer, link: Link, remote: RemoteHost, painter: Painter
) -> None:
    mux = mux_of(muxed)
    viewers = await remote.run(together(*(watching(muxed, f"viewer{i}") for i in range(2))))
    try:
        routes, dropped = dict(mux.routes), sum(s.dropped for s in mux.sockets)
        ufrag = re.search(r"a=ice-ufrag:(\S+)", viewers[0].provide["sdp"])
        assert ufrag is not None
        junk = [os.urandom(120), b"\x16\xfe\xfd" + os.urandom(80), b"\x80\x60" + os.urandom(60), b"\x00\x01\x00"]
        unknown = binding_request("nosuch:abcd", "p" * 22)
        got = await remote.run(replies((link.outside, mux.port), [unknown, *junk]))
        assert got == [] and mux.routes == routes
        assert sum(s.dropped for s in mux.sockets) == dropped + 1 + len(junk)
        forged = binding_request(f"{ufrag[1]}:abcd", "wrong" * 5)  # a known ufrag, signed without its password
        (answer,) = await remote.run(replies((link.outside, mux.port), [forged]))
        assert stun.parse_message(answer).attributes["ERROR-CODE"][0] == 401 and mux.routes == routes
        painter.fill((200, 60, 160))
        await remote.run(together(*(frame_with(v, (200, 60, 160)) for v in viewers)))
    finally:
        await close_all(remote, viewers)


async def stun_server(
    answer: tuple[str, int], asked: list[tuple[str, int]]
) -> tuple[asyncio.Task[None], socket.socket]:
    """(On the remote host.) A STUN server on port 3478 that answers every binding request with ``answer``
    as the mapped address, and notes where the requests came from."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind(("0.0.0.0", 3478))

    async def serve() -> None:
        while True:
            data, source = await loop.sock_recvfrom(sock, 2048)
            request = stun.parse_message(data)
            asked.append(source)
            response = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE, transaction_id=request.transaction_id)
            response.attributes["XOR-MAPPED-ADDRESS"] = answer
            with contextlib.suppress(OSError):  # the server's addresses but the link's are out of reach
                await loop.sock_sendto(sock, bytes(response), source)

    task = asyncio.ensure_future(serve())

    async def stop() -> None:
        task.cancel()
        await asyncio.wait([task])
        sock.close()

    return stop


async def test_the_stun_servers_answer_comes_back_through_the_mux(
    media_display: str, pulse: PulseServer, link: Link, remote: RemoteHost
) -> None:
    asked: list[tuple[str, int]] = []
    stop = await remote.run(stun_server(("203.0.113.50", 40000), asked))
    try:
        backend = json.dumps([{"urls": f"stun:{link.inside}:3478"}])
        with muxed_server(media_display, pulse, link, NEKO_WEBRTC_ICESERVERS_BACKEND=backend) as server:
            (viewer,) = await remote.run(together(watching(server, "viewer")))
            try:
                port = mux_of(server).port
                lines = [c["candidate"] for c in viewer.candidates if " typ srflx " in c["candidate"]]
                assert lines and all(" 203.0.113.50 40000 typ srflx " in line for line in lines), lines
                assert f"raddr {link.outside} rport {port}" in " ".join(lines)
                assert (link.outside, port) in asked  # asked from the one port, answered through it
            finally:
                await close_all(remote, [viewer])
    finally:
        await remote.run(stop())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's exit, expected
def test_a_taken_port_stops_start_up(media_display: str, pulse: PulseServer, capfd: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("0.0.0.0", 0))
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match="did not start"),
            media_server(media_display, pulse, NEKO_WEBRTC_UDPMUX=str(port)),
        ):
            pass
    assert f"webrtc.udpmux: UDP port {port} is taken" in capfd.readouterr().err
