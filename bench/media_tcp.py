"""Glass-to-glass over ICE-TCP and over the WebSocket fallback beside UDP, in one run: Chromium on a host of
its own (a network namespace, tests/support/netns.py, as root) plays the page from one server with
``webrtc.udpmux`` and ``webrtc.tcpmux`` on one port number, first as it is (UDP), then with every UDP datagram
of its host dropped (TCP); then Chromium on the server's host plays it over the WebSocket (media_wsmedia.py),
with WebCodecs and, on a plain http page, through Media Source Extensions.

``python -m bench.media_tcp`` prints the rows; ``make bench`` puts them in the media section.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from typing import Protocol

from bench import media_wsmedia
from bench.media_browser import timed_paints
from bench.media_clients import PASSWORD
from tests.media.desktop import Painter, xvfb
from tests.media.remote import free_port_pair
from tests.support.browser import log_in, page_at
from tests.support.netns import RemoteHost, drop_udp, namespace


class Served(Protocol):
    url: str

    def stop(self) -> None: ...


SELECTED_PATH = """async () => {
  let path = '';
  (await nekoRoom.state.pc.getStats()).forEach((s, _, report) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      path = report.get(pair.localCandidateId).protocol;
    }
  });
  return path;
}"""


async def _over_path(url: str, painter: Painter, samples: int) -> tuple[str, list[float], list[float]]:
    """(On the browser's host.) The path the page's media took, and its paint-to-decoded and
    paint-to-display times (ms)."""
    async with page_at(url, 1400, 900) as page:
        await log_in(page, f"browser-{time.monotonic_ns()}", PASSWORD, timeout=20)
        decoded, displayed = await timed_paints(page, painter, samples)
        return str(await page.evaluate(SELECTED_PATH)), decoded, displayed


async def run(
    serve: Callable[..., Served], painter: Painter, samples: int = 40
) -> tuple[list[tuple[str, list[float]]], list[str]]:
    """Rows of (scenario, values in ms): decoded and on screen, over UDP, over TCP, then over the WebSocket;
    and the fallback's verdict against UDP. ``serve(host, **env)``: the media part's server (``nekoapi serve``,
    pinned) on that address."""
    if os.geteuid() != 0:
        print("media: the ICE-TCP and WebSocket rows need root (a network namespace); left out", file=sys.stderr)
        return [], []
    with namespace() as link:
        port = str(free_port_pair())
        server = serve(link.outside, NEKO_WEBRTC_UDPMUX=port, NEKO_WEBRTC_TCPMUX=port)
        remote = RemoteHost(link.namespace)
        try:
            udp = await remote.run(_over_path(server.url, painter, samples))
            # The fallback right after UDP, which it is judged against: a drift of the shared machine's load
            # falls less between the two.
            socket = await media_wsmedia.glass_to_glass(server.url, painter, samples)
            plain = await media_wsmedia.glass_to_glass_plain(server.url, painter, samples)
            drop_udp(link.namespace)
            tcp = await remote.run(_over_path(server.url, painter, samples))
        finally:
            remote.stop()
            server.stop()
    assert tcp[0] == "tcp", f"without UDP, the browser's media took {tcp[0]!r}"
    rows: list[tuple[str, list[float]]] = []
    for label, (decoded, displayed) in (
        (f"over {udp[0].upper()} (udpmux=tcpmux)", udp[1:]),
        ("over TCP, its UDP dropped (udpmux=tcpmux)", tcp[1:]),
        ("over the WebSocket fallback", socket),
        ("over the WebSocket fallback, plain http (Media Source Extensions)", plain),
    ):
        rows.append((f"glass-to-glass, Chromium {label}: decoded (ms)", decoded))
        rows.append((f"glass-to-glass, Chromium {label}: on screen (ms)", displayed))
    return rows, [media_wsmedia.glass_verdict(udp[1:], socket, udp[0].upper())]


async def alone() -> list[str]:
    """These rows by themselves, on a screen of their own."""
    from bench.media import Server, row  # bench.media imports this module

    with xvfb(1280, 720) as display:
        painter = Painter(display)
        try:
            rows, verdicts = await run(lambda host, **env: Server(display, 1, host=host, **env), painter)
        finally:
            painter.close()
    table = [row(name, values) for name, values in rows]
    return ["| scenario | p50 | p99 | max |", "|---|---|---|---|", *table, "", *verdicts]


if __name__ == "__main__":
    print("\n".join(asyncio.run(alone())))
    sys.exit(0)
