"""``webrtc.tcpmux``: ICE over TCP (RFC 6544, RFC 4571 framing) for every peer on one TCP port.

The viewers run on a host of their own (a network namespace the test makes, tests/support/netns.py);
the browser's host drops every UDP datagram, as a firewall that lets only TCP through would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aioice import Candidate, Connection
from playwright.async_api import expect

from nekoapi.config import load_config
from nekoapi.media import rtc_internals as rtc
from nekoapi.media import tcpmux
from nekoapi.media.gathering import Candidates
from nekoapi.media.ports import connections
from nekoapi.media.pulse import PulseServer
from nekoapi.media.tcpmux import TcpMux
from tests.support.browser import log_in, page_on, shows
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost, drop_udp
from tests.support.patience import REPLY

from .desktop import Painter, pointer_at
from .icetcp import Framed, answered, ice_credentials, routed
from .remote import close_all, free_port_pair, muxed_server, together, until, watching
from .server import media_server
from .test_udpmux import binding_request
from .test_webrtc_video import frame_with


@contextlib.contextmanager
def paired_server(display: str, pulse: PulseServer, link: Link) -> Iterator[LiveServer]:
    """A media server its viewers reach across ``link``, with ``udpmux`` and ``tcpmux`` on one port number."""
    port = str(free_port_pair())
    with muxed_server(display, pulse, link, NEKO_WEBRTC_UDPMUX=port, NEKO_WEBRTC_TCPMUX=port) as server:
        yield server


@pytest.fixture
def paired(media_display: str, pulse: PulseServer, link: Link) -> Iterator[LiveServer]:
    with paired_server(media_display, pulse, link) as server:
        yield server


def tcp_mux_of(server: LiveServer) -> TcpMux:
    mux = server.app.services.media.candidates.tcp
    assert mux is not None
    return mux


SELECTED_PAIR = """async () => {
  const pc = nekoRoom.state.pc;
  const report = await pc.getStats();
  const ufrag = (d) => (d.sdp.match(/a=ice-ufrag:(\\S+)/) || [])[1];
  let found = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      const local = report.get(pair.localCandidateId), remote = report.get(pair.remoteCandidateId);
      found = { local: local.protocol, remote: remote.protocol, tcpType: remote.tcpType, port: remote.port,
                offer: ufrag(pc.remoteDescription), answer: ufrag(pc.localDescription),
                used: s.iceLocalUsernameFragment, state: pc.signalingState };
    }
  });
  return found;
}"""
TCP_PAIR = {"local": "tcp", "remote": "tcp", "tcpType": "passive"}


def over_tcp(pair: dict[str, Any], port: int) -> bool:
    return pair is not None and {k: pair[k] for k in TCP_PAIR} == TCP_PAIR and pair["port"] == port


async def test_a_browser_without_udp_plays_and_controls_the_desktop_over_ice_tcp(
    paired: LiveServer, link: Link, remote: RemoteHost, painter: Painter
) -> None:
    drop_udp(link.namespace)
    mux = tcp_mux_of(paired)
    async with page_on(remote, paired.http_url) as page:
        painter.fill((220, 120, 30))
        await remote.run(log_in(page, "alice", USER_PASSWORD))
        await remote.run(shows(page, (220, 120, 30)))
        before = await remote.run(page.evaluate(SELECTED_PAIR))
        assert over_tcp(before, mux.port), before
        # Its connection came from the browser's host, and nothing of it reached the UDP port.
        udp = paired.app.services.media.candidates.mux
        assert {address for address, _ in mux.routes} == {link.inside} and mux.agents
        assert udp is not None and not udp.routes
        painter.fill((40, 90, 210))
        await remote.run(shows(page, (40, 90, 210)))
        # Input goes over the data channel, on the same TCP connection: a click moves the desktop's pointer.
        await remote.run(page.get_by_role("button", name="Request control").click())
        await remote.run(page.wait_for_selector("#video.hosting"))
        box = await remote.run(page.locator("#video").bounding_box())
        assert box is not None
        await remote.run(page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75))
        await pointer_at(painter, (320, 540))
        # The page's connection details name the path.
        await remote.run(page.get_by_role("button", name="Connection details").click())
        path = page.get_by_role("region", name="Connection details").locator("dd[data-key=path]")
        await remote.run(expect(path).to_have_text(re.compile(r"\bTCP\b")))
        # An ICE restart (new credentials both ways, the new ufrag found at the browser's next request)
        # carries on over TCP: the same peer plays on.
        viewer = next(iter(paired.app.services.media.viewers.values()))
        await remote.run(page.evaluate("nekoRoom.emit('signal/restart', null)"))
        deadline = time.monotonic() + REPLY
        while True:
            now = await remote.run(page.evaluate(SELECTED_PAIR))
            if now["offer"] != before["offer"] and now["state"] == "stable" and now["used"] == now["answer"]:
                break
            assert time.monotonic() < deadline, f"no ICE restart: before {before}, now {now}"
            await asyncio.sleep(0.1)
        assert over_tcp(now, mux.port) and now["answer"] != before["answer"], now
        (agent,) = connections(viewer.peer.pc)
        await until(lambda: agent.local_username == now["offer"] and agent.remote_username == now["answer"])
        painter.fill((30, 200, 120))
        await remote.run(shows(page, (30, 200, 120)))
        assert next(iter(paired.app.services.media.viewers.values())) is viewer


async def test_a_browser_with_udp_keeps_to_udp_beside_the_tcp_candidates(
    paired: LiveServer, remote: RemoteHost, painter: Painter
) -> None:
    # Whichever pair answers its check first is nominated; one that ranks lower (TCP) never takes the
    # media from one that ranks higher (UDP), so both ends settle on UDP.
    async with page_on(remote, paired.http_url) as page:
        painter.fill((90, 30, 200))
        await remote.run(log_in(page, "alice", USER_PASSWORD))
        await remote.run(shows(page, (90, 30, 200)))
        (agent,) = connections(next(iter(paired.app.services.media.viewers.values())).peer.pc)
        deadline = time.monotonic() + REPLY
        while True:
            pair = await remote.run(page.evaluate(SELECTED_PAIR))
            sending = rtc.nominated(agent)[1].local_candidate.transport
            if pair["local"] == "udp" and sending == "udp":
                break
            assert time.monotonic() < deadline, f"the browser uses {pair}, the server sends over {sending}"
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # later checks (TCP ones among them) do not move it
        assert (await remote.run(page.evaluate(SELECTED_PAIR)))["local"] == "udp"
        assert rtc.nominated(agent)[1].local_candidate.transport == "udp"


async def test_every_tcp_candidate_carries_the_port_and_junk_changes_nothing(
    paired: LiveServer, link: Link, remote: RemoteHost, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tcpmux, "FIRST_FRAME_TIMEOUT", 0.5)
    mux = tcp_mux_of(paired)
    target = (link.outside, mux.port)
    viewers = await remote.run(together(*(watching(paired, f"viewer{i}") for i in range(2))))
    try:
        lines = [c["candidate"].split(" ") for v in viewers for c in v.candidates if c["candidate"]]
        tcp = [line for line in lines if line[2] == "tcp"]
        assert tcp and all(line[5:] == [str(mux.port), "typ", "host", "tcptype", "passive"] for line in tcp), tcp
        assert {line[4] for line in tcp} == {line[4] for line in lines if line[2] == "udp"}  # beside each UDP one
        assert {int(line[5]) for line in lines} == {mux.port}  # the pair: UDP and TCP on one port number
        assert [link.outside, str(mux.port)] in [line[4:6] for line in tcp]
        assert max(int(line[3]) for line in tcp) < min(int(line[3]) for line in lines if line[2] == "udp")
        # An ICE-TCP check signed with the first viewer's server-side credentials is answered, framed,
        # on the connection it came on; the connection is then routed to that viewer's agent.
        good, check = await routed(remote, target, viewers[0])
        other, other_check = await routed(remote, target, viewers[1])
        routes, dropped = dict(mux.routes), mux.dropped
        assert len(routes) == 2
        ours, _ = ice_credentials(viewers[0].provide["sdp"])
        theirs, _ = ice_credentials(viewers[0].pc.localDescription.sdp)
        # Junk, an unknown ufrag, a forged check and an oversized first frame each close their own connection.
        firsts = [
            [os.urandom(120)],
            [b"\x16\xfe\xfd" + os.urandom(80)],
            [binding_request("nosuch:abcd", "p" * 22)],
            [binding_request(f"{ours}:{theirs}", "wrong" * 5)],  # a known ufrag, signed without its password
        ]
        for frames in firsts:
            bad = await remote.run(Framed.to(target))
            await remote.run(bad.send(*frames))
            assert await remote.run(bad.frames()) is None
        oversized = await remote.run(Framed.to(target))
        await remote.run(oversized.send(b"\x00\x01" + os.urandom(98), length=60000))
        assert await remote.run(oversized.frames()) is None
        silent = await remote.run(Framed.to(target))  # sends nothing: closed after FIRST_FRAME_TIMEOUT
        assert await remote.run(silent.frames(REPLY)) is None
        assert mux.routes == routes and mux.dropped == dropped + len(firsts) + 2
        # The connections are bounded: past the bound, a new one is closed at once.
        mux.max_connections = len(mux.connections)
        extra = await remote.run(Framed.to(target))
        assert await remote.run(extra.frames()) is None
        mux.max_connections = 1024
        # The routed connection and the viewers are undisturbed; an empty frame on it is dropped.
        await remote.run(good.send(b"", check))
        assert answered(await remote.run(good.frames()), check)
        painter.fill((200, 60, 160))
        await remote.run(together(*(frame_with(v, (200, 60, 160)) for v in viewers)))
        # The viewer leaving closes its connections, and only those.
        await remote.run(viewers[0].close())
        assert await remote.run(good.frames(REPLY)) is None
        await until(lambda: len(mux.routes) == 1)
        await remote.run(other.send(other_check))  # the other viewer's connection is still its own
        assert answered(await remote.run(other.frames()), other_check)
    finally:
        await close_all(remote, viewers)


async def gathered(environ: dict[str, str]) -> list[Candidate]:
    """The host candidates one agent gathers with this configuration (its IPv4 ones)."""
    candidates = Candidates(load_config(environ).webrtc)
    await candidates.start()
    agent = Connection(ice_controlling=True)
    try:
        candidates.install(agent)
        await agent.gather_candidates()
        return [c for c in agent.local_candidates if ":" not in c.host]
    finally:
        await agent.close()
        candidates.close()


async def test_tcpmux_alone_offers_tcp_host_candidates_only_as_neko_does(link: Link) -> None:
    port = free_port_pair()
    found = await gathered({"NEKO_WEBRTC_TCPMUX": str(port)})
    assert {(c.transport, c.port, c.type, c.tcptype) for c in found} == {("tcp", port, "host", "passive")}
    assert link.outside in {c.host for c in found}


async def test_nat1to1_replaces_the_tcp_candidates_address_beside_the_udp_ones(link: Link) -> None:
    port = free_port_pair()
    found = await gathered(
        {"NEKO_WEBRTC_UDPMUX": str(port), "NEKO_WEBRTC_TCPMUX": str(port), "NEKO_WEBRTC_NAT1TO1": "203.0.113.7"}
    )
    assert sorted((c.transport, c.host, c.port) for c in found) == [
        ("tcp", "203.0.113.7", port),
        ("udp", "203.0.113.7", port),
    ]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's exit, expected
def test_a_taken_tcp_port_stops_start_up(
    media_display: str, pulse: PulseServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match="did not start"),
            media_server(media_display, pulse, NEKO_WEBRTC_TCPMUX=str(port)),
        ):
            pass
    assert f"webrtc.tcpmux: TCP port {port} is taken" in capfd.readouterr().err
