"""ICE settings: the UDP port range, 1:1 NAT addresses, the servers told to clients, no public STUN."""

from __future__ import annotations

import json
import re

import pytest

from nekoapi.config import ConfigError, WebRTCConfig
from nekoapi.media import ice
from nekoapi.media.pulse import PulseServer
from tests.support.factory import USER_PASSWORD

from .client import Viewer
from .server import media_server


def host_candidates(sdp: str) -> list[tuple[str, int]]:
    found = re.findall(r"a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", sdp)
    return [(address, int(port)) for address, port in found]


async def test_candidates_use_the_port_range_and_the_nat_addresses(media_display: str, pulse: PulseServer) -> None:
    frontend = [{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"}]
    env = {
        "NEKO_WEBRTC_EPR": "59400-59420",
        "NEKO_WEBRTC_NAT1TO1": "203.0.113.7",
        "NEKO_WEBRTC_ICESERVERS_FRONTEND": json.dumps(frontend),
    }
    with media_server(media_display, pulse, **env) as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch()
            candidates = host_candidates(client.provide["sdp"])
            assert candidates and all(59400 <= port <= 59420 for _, port in candidates)
            assert "203.0.113.7" in {address for address, _ in candidates}
            assert client.provide["iceservers"] == [
                {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "c"}
            ]
            assert (await client.frame()).width == 1280  # and the connection works through the range
        finally:
            await client.close()


def test_no_servers_means_no_stun() -> None:
    assert ice.rtc_configuration(WebRTCConfig()).iceServers == []


@pytest.mark.parametrize("epr", ["59000", "9-1", "a-b", "0-10", "1-70000"])
def test_a_bad_port_range_names_the_key(epr: str) -> None:
    with pytest.raises(ConfigError, match=r"webrtc\.epr"):
        ice.port_range(WebRTCConfig(epr=epr))
