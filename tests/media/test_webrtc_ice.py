"""ICE settings: the UDP port range, 1:1 NAT addresses, the servers told to clients, no public STUN."""

from __future__ import annotations

import contextlib
import json
import re
import socket

import pytest

from nekoapi.config import ConfigError, WebRTCConfig, load_config
from nekoapi.media import ice
from nekoapi.media.pulse import PulseServer
from tests.support.factory import USER_PASSWORD

from .client import Viewer
from .server import media_server


def host_candidates(lines: str) -> list[tuple[str, int]]:
    found = re.findall(r"candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", lines)
    return [(address, int(port)) for address, port in found]


def trickled(client: Viewer) -> str:
    return "\n".join(c["candidate"] for c in client.candidates)


async def quiet(client: Viewer, seconds: float = 0.5) -> list[str]:
    """The events that arrive within ``seconds``."""
    assert client.ws is not None
    events: list[str] = []
    with contextlib.suppress(TimeoutError):
        while True:
            events.append((await client.ws.next(seconds))["event"])
    return events


@pytest.mark.parametrize("trickle", [True, False])
async def test_candidates_use_the_port_range_and_the_nat_addresses(
    media_display: str, pulse: PulseServer, trickle: bool
) -> None:
    frontend = [{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"}]
    env = {
        "NEKO_WEBRTC_EPR": "59400-59420",
        "NEKO_WEBRTC_NAT1TO1": "203.0.113.7",
        "NEKO_WEBRTC_ICESERVERS_FRONTEND": json.dumps(frontend),
        "NEKO_WEBRTC_ICETRICKLE": str(trickle).lower(),
    }
    with media_server(media_display, pulse, **env) as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch()
            candidates = host_candidates(trickled(client) if trickle else client.provide["sdp"])
            assert candidates and all(59400 <= port <= 59420 for _, port in candidates)
            assert "203.0.113.7" in {address for address, _ in candidates}
            assert client.provide["iceservers"] == [
                {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "c"}
            ]
            assert (await client.frame()).width == 1280  # and the connection works through the range
        finally:
            await client.close()


async def test_the_server_trickles_its_candidates_after_the_offer(viewer: Viewer) -> None:
    await viewer.watch()
    sdp = viewer.provide["sdp"]
    assert "a=candidate" not in sdp and "a=end-of-candidates" not in sdp
    ufrag = re.search(r"a=ice-ufrag:(\S+)", sdp)
    assert ufrag is not None
    events = [m["event"] for m in viewer.ws.seen if m["event"] in ("signal/provide", "signal/candidate")]
    assert events[0] == "signal/provide" and events.count("signal/candidate") == len(viewer.candidates)
    found = [c for c in viewer.candidates if c["candidate"]]
    assert found and all(c["candidate"].startswith("candidate:") for c in found)
    assert {c["usernameFragment"] for c in viewer.candidates} == {ufrag[1]}
    mids = re.findall(r"a=mid:(\S+)", sdp)
    assert {(c["sdpMid"], c["sdpMLineIndex"]) for c in found} <= set(zip(mids, range(len(mids)), strict=True))
    ends = [(c["sdpMid"], c["sdpMLineIndex"]) for c in viewer.candidates if not c["candidate"]]
    assert ends == list(zip(mids, range(len(mids)), strict=True))  # an end-of-candidates per m-line
    assert (await viewer.frame()).width == 1280


async def test_without_trickle_the_offer_carries_every_candidate(media_display: str, pulse: PulseServer) -> None:
    with media_server(media_display, pulse, NEKO_WEBRTC_ICETRICKLE="false") as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch()
            assert host_candidates(client.provide["sdp"]) and "a=end-of-candidates" in client.provide["sdp"]
            assert (await client.frame()).width == 1280
            assert "signal/candidate" not in [m["event"] for m in client.ws.seen] + await quiet(client)
        finally:
            await client.close()


def test_no_servers_means_no_stun() -> None:
    assert ice.rtc_configuration(WebRTCConfig()).iceServers == []


@pytest.mark.parametrize("epr", ["59000", "9-1", "a-b", "0-10", "1-70000"])
def test_a_bad_port_range_names_the_key(epr: str) -> None:
    with pytest.raises(ConfigError, match=r"^NEKO_WEBRTC_EPR: expected"):
        load_config({"NEKO_WEBRTC_EPR": epr})


def test_the_servers_sent_to_clients_and_used_by_the_server() -> None:
    turn = {"urls": "turn:127.0.0.1:3478", "username": "u", "credential": "c"}
    config = load_config(
        {
            "NEKO_WEBRTC_ICESERVERS_FRONTEND": json.dumps([turn, {"urls": ["stun:127.0.0.1:3478"]}]),
            "NEKO_WEBRTC_ICESERVERS_BACKEND": json.dumps([{"urls": ["stun:127.0.0.1:3478"]}]),
        }
    ).webrtc
    assert ice.servers(config, "frontend") == [
        {"urls": ["turn:127.0.0.1:3478"], "username": "u", "credential": "c"},
        {"urls": ["stun:127.0.0.1:3478"]},
    ]
    assert [s.urls for s in ice.rtc_configuration(config).iceServers] == [["stun:127.0.0.1:3478"]]


async def test_ice_lite_offers_host_candidates_and_lets_the_client_control(
    media_display: str, pulse: PulseServer
) -> None:
    stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a backend STUN server that records requests
    stun.bind(("127.0.0.1", 0))
    stun.setblocking(False)
    backend = [{"urls": f"stun:127.0.0.1:{stun.getsockname()[1]}"}]
    env = {"NEKO_WEBRTC_ICELITE": "true", "NEKO_WEBRTC_ICESERVERS_BACKEND": json.dumps(backend)}
    try:
        with media_server(media_display, pulse, **env) as server:
            client = Viewer(server.http_url, server.ws_url())
            try:
                await client.login("alice", USER_PASSWORD)
                await client.watch()
                session_part = client.provide["sdp"].split("\r\nm=")[0]
                assert "\r\na=ice-lite" in session_part
                assert (await client.frame()).width == 1280
                roles = {t.transport.role for t in (r.transport for r in client.pc.getReceivers())}
                assert roles == {"controlling"}  # the client took control, as with any ICE-lite peer
                assert {c["candidate"].split(" ")[7] for c in client.candidates if c["candidate"]} == {"host"}
            finally:
                await client.close()
        with pytest.raises(BlockingIOError):
            stun.recv(1500)  # nothing was asked of the backend server
    finally:
        stun.close()
