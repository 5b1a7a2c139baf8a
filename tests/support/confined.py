"""A test host (tests/support/netns.py) behind a firewall, and Debian's Chromium running on it.

``confine`` lets the namespace reach only the given ports of the server's end of its link (nft rules
inside the namespace, gone with it). ``page_inside`` runs the room's page in a Chromium started in
the namespace (``ip netns exec`` in front of the browser Playwright launches), so every socket the
browser opens, WebRTC's included, is the namespace's.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Page, async_playwright

from .browser import ARGS, CHROMIUM, closed, open_at
from .netns import Link
from .patience import START


def confine(link: Link, *, tcp: tuple[int, ...] = (), udp: tuple[int, ...] = ()) -> None:
    """The namespace reaches ``link.outside`` on these ports alone, and nothing else (loopback aside)."""
    allowed = [("tcp", port) for port in tcp] + [("udp", port) for port in udp]
    out = ['oifname "lo" accept', *(f"ip daddr {link.outside} {p} dport {port} accept" for p, port in allowed)]
    back = ['iifname "lo" accept', *(f"ip saddr {link.outside} {p} sport {port} accept" for p, port in allowed)]
    rules = f"""table inet confined {{
  chain out {{ type filter hook output priority 0; policy drop; {"; ".join(out)}; }}
  chain in {{ type filter hook input priority 0; policy drop; {"; ".join(back)}; }}
}}
"""
    command = ["ip", "netns", "exec", link.namespace, "nft", "-f", "-"]
    subprocess.run(command, input=rules.encode(), check=True, capture_output=True, timeout=START)


@contextlib.asynccontextmanager
async def page_inside(namespace: str, base_url: str, folder: Path, trusting: bool = False) -> AsyncIterator[Page]:
    """The page at ``base_url``/ in a headless Chromium on the namespace's host; closed afterwards.
    ``trusting``: the server's self-signed certificate is accepted (an https page, a secure context)."""
    wrapper = folder / "chromium-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(wrapper), args=ARGS, headless=True)
        try:
            tab = await browser.new_page(viewport={"width": 1280, "height": 720}, ignore_https_errors=trusting)
            await open_at(tab, base_url + "/")
            yield tab
        finally:
            await closed(browser.close())
