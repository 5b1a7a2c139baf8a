"""``webrtc.nat1to1`` and ``webrtc.ip_retrieval_url``: the host candidates carry the public address.

As in Neko, the public address replaces each host candidate's own (it is not offered beside it).
The viewer runs in a network namespace whose only way to the server is the address it is told;
the server's other local addresses are not reachable from there.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import threading
from collections.abc import Iterator

import pytest

from nekoapi.config import ConfigError, load_config
from nekoapi.media.gathering import Nat1to1
from nekoapi.media.pulse import PulseServer
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost

from .remote import close_all, muxed_server, selected_remote, server_candidates, together, watching


def ipv4(candidates: list[tuple[str, int]]) -> set[tuple[str, int]]:
    return {(address, port) for address, port in candidates if ipaddress.ip_address(address).version == 4}


class AddressService(http.server.BaseHTTPRequestHandler):
    """A what-is-my-address service on loopback: it answers the address it was given, and counts."""

    answer = ""
    asked = 0

    def do_GET(self) -> None:
        type(self).asked += 1
        body = self.answer.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def address_service(answer: str) -> Iterator[tuple[str, type[AddressService]]]:
    handler = type("Answering", (AddressService,), {"answer": answer, "asked": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ip", handler
    finally:
        server.shutdown()
        server.server_close()


async def connects_at(server: LiveServer, remote: RemoteHost, public: str) -> None:
    """The viewer is offered ``public`` as the only IPv4 host address, and connects through it."""
    mux = server.app.services.media.candidates.mux
    assert mux is not None
    others = ipv4([s.sockname() for s in mux.sockets]) - {(public, mux.port)}
    assert others, "the server has no other IPv4 address: the test would prove nothing"
    port = mux.port
    (viewer,) = await remote.run(together(watching(server, "viewer")))
    try:
        assert ipv4(server_candidates(viewer)) == {(public, port)}
        assert selected_remote(viewer) == (public, port)
    finally:
        await close_all(remote, [viewer])


async def test_nat1to1_replaces_the_host_candidates_address(
    media_display: str, pulse: PulseServer, link: Link, remote: RemoteHost
) -> None:
    # The link's address stands for the public one: the server's own addresses (all but this one)
    # are not reachable from the viewer's namespace, so the viewer connects only if it is told this one.
    with muxed_server(media_display, pulse, link, NEKO_WEBRTC_NAT1TO1=link.outside) as server:
        await connects_at(server, remote, link.outside)


async def test_the_public_address_is_looked_up_at_start_when_nat1to1_is_empty(
    media_display: str, pulse: PulseServer, link: Link, remote: RemoteHost
) -> None:
    with (
        address_service(f"{link.outside}\n") as (url, service),
        muxed_server(media_display, pulse, link, NEKO_WEBRTC_IP_RETRIEVAL_URL=url) as server,
    ):
        assert service.asked == 1  # once, at start
        await connects_at(server, remote, link.outside)
        assert service.asked == 1


@pytest.mark.parametrize("answer", ["not an address", ""])
async def test_a_lookup_without_an_address_leaves_the_candidates_alone(
    media_display: str, pulse: PulseServer, link: Link, answer: str
) -> None:
    with (
        address_service(answer) as (url, service),
        muxed_server(media_display, pulse, link, NEKO_WEBRTC_IP_RETRIEVAL_URL=url) as server,
    ):
        assert service.asked == 1 and server.app.services.media.candidates.nat is None


async def test_nat1to1_set_means_no_lookup(media_display: str, pulse: PulseServer, link: Link) -> None:
    with address_service("203.0.113.9") as (url, service):
        env = {"NEKO_WEBRTC_NAT1TO1": link.outside, "NEKO_WEBRTC_IP_RETRIEVAL_URL": url}
        with muxed_server(media_display, pulse, link, **env):
            assert service.asked == 0


def test_nat1to1_maps_as_pion_does() -> None:
    nat = Nat1to1(("203.0.113.7", "198.51.100.1/10.0.0.2", "2001:db8::7"))
    assert nat.public("10.0.0.2") == "198.51.100.1"  # its pair
    assert nat.public("192.168.1.5") == "203.0.113.7"  # the family's lone address
    assert nat.public("fd00::5") == "2001:db8::7"
    only_pairs = Nat1to1(("198.51.100.1/10.0.0.2",))
    assert only_pairs.public("10.0.0.3") == "10.0.0.3"  # no public address for it: it stays


@pytest.mark.parametrize(
    "value",
    ["203.0.113.7,203.0.113.8", "203.0.113.7/fd00::1", "example.org", "198.51.100.1/10.0.0.2,198.51.100.2/10.0.0.2"],
)
def test_a_nat1to1_pion_would_refuse_stops_start_up(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^NEKO_WEBRTC_NAT1TO1: expected"):
        load_config({"NEKO_WEBRTC_NAT1TO1": value})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NEKO_WEBRTC_UDPMUX", "65536"),
        ("NEKO_WEBRTC_UDPMUX", "-1"),
        ("NEKO_WEBRTC_IP_RETRIEVAL_URL", "file:///etc/hostname"),
    ],
)
def test_a_bad_udpmux_or_lookup_url_stops_start_up(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{key}: expected"):
        load_config({key: value})
