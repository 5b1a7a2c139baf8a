"""The page names the step of the connection that failed, in words a user can act on, then plays on its own.

Each step is broken for real: a proxy that drops WebSocket upgrades; a host (tests/support/netns.py)
that reaches the server's HTTP port only (ICE); one that reaches the media port too but whose
firewall drops DTLS records (a path, no handshake), or SRTP packets (connected, no media). The last
three fall back to the WebSocket for media, so the page, served over https as a secure context for
WebCodecs, still shows the desktop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from nekoapi.media.pulse import PulseServer
from tests.support import browser
from tests.support.confined import confine, page_inside
from tests.support.factory import USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.netns import Link
from tests.support.patience import REPLY, START
from tests.support.tls import self_signed

from .desktop import Painter
from .remote import SMALL, free_udp_port
from .server import media_server

MEDIA_BOUND = 5.0  # s: the page's wait for a connection before it names the step; twice that for packets

# RFC 7983's demultiplexing by the first byte of a UDP payload (nft's @th,64,8, after the 8-byte UDP
# header): STUN 0-3, DTLS 20-63, SRTP and SRTCP 128-191.
FIRST_BYTES = {"dtls": "20-63", "media": "128-191"}


def drop_first_bytes(link: Link, first: str) -> None:
    """UDP datagrams whose payload starts with a byte in ``first`` are dropped, both ways, on the host."""
    rules = f"""table inet picky {{
  chain out {{
    type filter hook output priority -10;
    meta l4proto udp @th,64,8 {first} drop
  }}
  chain in {{
    type filter hook input priority -10;
    meta l4proto udp @th,64,8 {first} drop
  }}
}}
"""
    command = ["ip", "netns", "exec", link.namespace, "nft", "-f", "-"]
    subprocess.run(command, input=rules.encode(), check=True, capture_output=True, timeout=START)


def problem(page: Page) -> Locator:
    return page.get_by_role("alert", name="Connection problem")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("ice", "ICE failed"),
        ("dtls", "the encrypted handshake over it (DTLS) did not complete"),
        ("media", "Connected, but no video or sound arrives"),
    ],
)
async def test_the_page_names_the_failed_step_and_plays_over_the_websocket(
    media_display: str, pulse: PulseServer, link: Link, painter: Painter, tmp_path: Path, step: str, words: str
) -> None:
    cert, key = self_signed(tmp_path, link.outside)
    mux = free_udp_port()
    env = {"NEKO_SERVER_CERT": str(cert), "NEKO_SERVER_KEY": str(key), "NEKO_WEBRTC_UDPMUX": str(mux)}
    env |= {"NEKO_CAPTURE_VIDEO_IDS": "small", "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL)}
    with media_server(media_display, pulse, host=link.outside, **env) as server:
        if step == "ice":
            confine(link, tcp=(server.port,))  # the media port is blocked: ICE has no way through
        else:
            confine(link, tcp=(server.port,), udp=(mux,))
            drop_first_bytes(link, FIRST_BYTES[step])
        async with page_inside(link.namespace, server.http_url, tmp_path, trusting=True) as page:
            painter.fill((40, 120, 200))
            await browser.send_login(page, "alice", USER_PASSWORD)
            await expect(problem(page)).to_contain_text(words, timeout=(2 * MEDIA_BOUND + REPLY) * 1000)
            if step != "dtls":  # the ports the server offered, so the user knows what to open
                await expect(problem(page)).to_contain_text(f"UDP {link.outside}:{mux}")
            await browser.canvas_shows(page, (40, 120, 200))
            await expect(problem(page)).to_contain_text("The page plays over the WebSocket instead.")


async def test_a_page_that_plays_shows_no_problem(media_server: LiveServer, painter: Painter) -> None:
    painter.fill((200, 200, 40))
    async with browser.page_at(media_server.http_url) as page:
        await browser.log_in(page, "alice", USER_PASSWORD)
        await asyncio.sleep(2 * MEDIA_BOUND + 0.5)  # past the bounds at which a failed step would be named
        await browser.shows(page, (200, 200, 40))
        await expect(problem(page)).to_be_hidden()
        assert await page.evaluate("nekoRoom.state.viaSocket") is False


@contextlib.asynccontextmanager
async def proxy_without_upgrades(port: int) -> AsyncIterator[str]:
    """A reverse proxy to 127.0.0.1:``port`` that passes HTTP but answers WebSocket upgrades with 502, as a
    proxy not configured for them does. Each connection's first request decides: Chromium opens a
    connection of its own for every WebSocket."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        if b"\r\nupgrade: websocket" in head.lower():
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        upstream_writer.write(head)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    proxy = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
    finally:
        proxy.close()


async def test_the_page_names_the_websocket_when_a_proxy_drops_upgrades(media_server: LiveServer) -> None:
    async with proxy_without_upgrades(media_server.port) as url, browser.page_at(url) as page:
        await browser.send_login(page, "alice", USER_PASSWORD)
        await expect(problem(page)).to_contain_text("the room's WebSocket (/api/ws) did not open", timeout=REPLY * 1000)
        await expect(problem(page)).to_contain_text("must pass WebSocket upgrades")
        await expect(page.get_by_role("status", name="Connection status")).to_contain_text("reconnecting")
