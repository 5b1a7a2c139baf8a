"""One peer per session: a socket replaced during ``signal/request`` leaves no peer (and no UDP socket) behind.

The server runs in this process, so its UDP sockets are this process's (the test's own clients
here are plain WebSockets, which open none).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from nekoapi.media.pulse import PulseServer
from tests.support.factory import USER_PASSWORD
from tests.support.live import EventClient, LiveServer

from .server import media_server

ROUNDS = 10


def udp_sockets() -> int:
    """How many UDP sockets (IPv4 and IPv6) this process holds open."""
    inodes: set[str] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        if Path(table).exists():
            for line in Path(table).read_text().splitlines()[1:]:
                inodes.add(line.split()[9])
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


async def settles_at(expected: int, timeout: float = 20.0) -> int:
    """The UDP count once it reaches ``expected`` (closing transports takes a moment), or at the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (count := udp_sockets()) != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    return count


async def open_socket(server: LiveServer, token: str) -> EventClient:
    client = await EventClient.connect(server.ws_url(token))
    await client.wait_for("system/init")
    return client


async def gathered(client: EventClient) -> None:
    """Until the server's peer has gathered: its end-of-candidates for every m-line of its offer."""
    sdp = (await client.wait_for("signal/provide", timeout=20))["sdp"]
    if "a=end-of-candidates" in sdp:
        return  # gathered before the offer (no trickle)
    for _ in range(sdp.count("\r\nm=")):
        await client.wait_for("signal/candidate", timeout=20, candidate="")


@pytest.mark.parametrize("trickle", ["true", "false"])
async def test_a_socket_replaced_during_a_request_leaves_one_peer(
    media_display: str, pulse: PulseServer, trickle: str
) -> None:
    with media_server(media_display, pulse, NEKO_WEBRTC_ICETRICKLE=trickle) as server:
        await replace_sockets_while_requesting(server)


async def replace_sockets_while_requesting(media_server: LiveServer) -> None:
    media = media_server.app.services.media
    async with httpx.AsyncClient(base_url=media_server.http_url) as http:
        login = (await http.post("/api/login", json={"username": "alice", "password": USER_PASSWORD})).json()
        bearer = {"Authorization": f"Bearer {login['token']}"}
        before = udp_sockets()
        sockets: list[EventClient] = []
        try:
            # One peer on its own, to learn how many UDP sockets a peer holds.
            first = await open_socket(media_server, login["token"])
            sockets.append(first)
            await first.send("signal/request", {})
            await gathered(first)
            per_peer = udp_sockets() - before
            assert per_peer > 0
            for _ in range(ROUNDS):
                # signal/request on socket 1 and, at once, a second socket with the same token
                # (merciful reconnect replaces socket 1) that asks for its own peer.
                one = await open_socket(media_server, login["token"])
                sockets.append(one)
                await one.send("signal/request", {})
                two = await open_socket(media_server, login["token"])
                sockets.append(two)
                await two.send("signal/request", {})
                await two.wait_for("signal/provide", timeout=20)
            assert len(media.viewers) == 1
            assert await settles_at(before + per_peer) == before + per_peer, "a replaced peer kept its sockets"
            assert sum(not v.peer.closed for v in media.viewers.values()) == 1
        finally:
            for client in sockets:
                await client.close()
        assert (await http.post("/api/logout", headers=bearer)).status_code == 200
        assert await settles_at(before) == before, "the session's peers outlived it"
        assert not media.viewers
