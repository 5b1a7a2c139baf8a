"""Per-socket limits on what a client may send."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit


class MessageRate:
    """A token bucket: ``rate`` messages a second on average, bursts of twice that."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = float(rate)
        self._capacity = 2.0 * rate
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...], scheme: str = "ws") -> bool:
    """Whether a browser page from ``origin`` may open a socket on this server.

    No Origin header means no browser page (a native client), which cookies cannot be
    abused from; a page of our own origin or of a configured one (``server.cors``) may.
    Our own origin is scheme, host and port: an https page is not an http server's own
    (``scheme`` is the socket's, "ws" or "wss", as ``server.proxy`` may have corrected it).
    """
    if origin is None:
        return True
    if "*" in allowed or origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
        return True
    page = urlsplit(origin)
    own_scheme = _PAGE_SCHEMES.get(scheme, scheme)
    return host is not None and page.scheme.lower() == own_scheme and page.netloc.lower() == host.lower()


# The scheme of a page whose own server a socket of this scheme reaches.
_PAGE_SCHEMES = {"ws": "http", "wss": "https"}
