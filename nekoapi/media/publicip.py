"""``webrtc.ip_retrieval_url``: the server's public address, asked of a web service at start.

As Neko (server/internal/config/webrtc.go, pkg/utils/request.go): a GET, whose body, trimmed, is
the address; it is looked up only while ``webrtc.nat1to1`` is empty. A failed lookup is warned
about and leaves the candidates as they are. Unlike Neko, an answer that is no IP address is
refused here (pion would fail every peer with it) and nothing is looked up by default.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import urllib.request

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # s
MAX_ANSWER = 256  # bytes: an address and some whitespace


async def lookup(url: str) -> str | None:
    """The address the service at ``url`` answers; None (warned about) when there is none."""
    try:
        answer = await asyncio.to_thread(_get, url)
    except (OSError, ValueError) as exc:  # urllib's errors are OSErrors
        log.warning("webrtc.ip_retrieval_url: no public address from %s: %s", url, exc)
        return None
    try:
        address = str(ipaddress.ip_address(answer.strip()))
    except ValueError:
        log.warning("webrtc.ip_retrieval_url: %s answered %r, which is no IP address", url, answer[:64])
        return None
    log.info("webrtc.ip_retrieval_url: the public address is %s", address)
    return address


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # the key allows http(s) URLs only
        return response.read(MAX_ANSWER).decode("ascii", "replace")
