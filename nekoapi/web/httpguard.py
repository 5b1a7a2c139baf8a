"""uvicorn's httptools protocol with deadlines and a bounded request head.

uvicorn closes a keep-alive connection that stays idle after a response, but
nothing else: a connection that never sends a byte, one that sends its headers
a byte at a time, or one that never finishes its body is held for ever (each
one a file descriptor), and a head that never ends is buffered without bound
(``h11_max_incomplete_event_size`` applies to h11 only). ``nekoapi serve``
runs this protocol instead, so that:

- the request head (request line and headers) must arrive within
  ``server.header_timeout`` of the connection opening or of its first byte,
  or the connection is closed (there is no request to answer yet);
- a declared body must arrive within ``server.body_timeout`` of the headers,
  or the request is answered 408 (if nothing was answered yet) and closed;
- a head larger than ``server.max_url_length`` / ``server.max_header_size``
  is answered 414 / 431 and closed as soon as it passes the limit, before it
  ends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..config import ServerConfig
from .errors import error_body
from .hardening import SECURITY_HEADERS, Refusal

# Separators of one header as sent, beyond its name and value: ": " and CRLF.
_HEADER_SEPARATORS = 4
HEADERS_TOO_LARGE = Refusal(431, "request headers too large")
URL_TOO_LONG = Refusal(414, "request URL too long")
# Scope extension: the status this protocol answered itself, whatever the application sends later.
ANSWERED = "nekoapi.answered"
# How long a refused connection is read (and dropped) before it is closed.
REFUSED_LINGER = 1.0
BODY_TIMEOUT = Refusal(408, "request body not received in time")


def refusal_bytes(refusal: Refusal) -> bytes:
    """A complete HTTP response with the JSON error, closing the connection."""
    body = error_body(refusal.status, refusal.message)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    return b"".join([STATUS_LINE[refusal.status], *(n + b": " + v + b"\r\n" for n, v in headers), b"\r\n", body])


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """Takes its limits from the application it serves (uvicorn makes one per connection).

    A plain module-level class, so that uvicorn can hand it to worker processes; each
    worker reads the limits of the app it loaded itself.
    """

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        server = _server_config(config.loaded_app)
        self.header_timeout = server.header_timeout
        self.body_timeout = server.body_timeout
        self.max_header_size = server.max_header_size
        self.max_url_length = server.max_url_length
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True  # reading a request line and headers (not a body, not idle)
        self._begun = False  # a request began in the data being parsed
        self._head_bytes = 0  # bytes of the current head, from the read after the one it began in
        self._refused = False
        self.url, self.headers = b"", []  # as after a request began: the head checks read them

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self.transport.is_closing():
            return  # refused already: the rest is read and dropped, never parsed
        head, self._begun = self._in_head, False
        super().data_received(data)
        if head and self._in_head and not self._begun:
            # All of this data belongs to the head still open. The read a head begins in is not
            # counted (part of it may end an earlier request): the bound is the limit plus one read.
            self._head_bytes += len(data)
            self._check_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # Shared by every copy of the scope the application makes: the observer reads ANSWERED there.
        self.scope["extensions"] = {}  # type: ignore[typeddict-unknown-key]
        self._in_head, self._begun, self._head_bytes = True, True, 0
        if self._deadline is None:
            self._arm(self.header_timeout, self._head_too_slow)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        # A pipelined request waits with reads paused: its body cannot arrive before its turn.
        if self.cycle is not None and self.cycle.scope is self.scope and not self.pipeline and self._has_body():
            self._arm(self.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _has_body(self) -> bool:
        headers = dict(self.headers)
        return headers.get(b"content-length", b"0") not in (b"0", b"") or b"transfer-encoding" in headers

    def _check_head(self) -> None:
        url = len(self.url)  # the parser hands the URL over as it arrives
        if url > self.max_url_length:
            self._refuse(URL_TOO_LONG)
        # Complete headers are counted without their separators, as the check of a whole head does.
        elif self._head_bytes - url - _HEADER_SEPARATORS * len(self.headers) > self.max_header_size:
            self._refuse(HEADERS_TOO_LARGE)

    def _refuse(self, refusal: Refusal) -> None:
        self._disarm()
        self._refused = True
        self.transport.write(refusal_bytes(refusal))
        # Closing with unread data would reset the connection, and the client could lose the
        # answer: our side ends now, what the client still sends is dropped for a moment.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(REFUSED_LINGER, self.transport.close)

    def _head_too_slow(self) -> None:
        self._deadline = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if self.transport.is_closing():
            return
        if cycle is not None and not cycle.response_complete:
            if not cycle.response_started:
                self.transport.write(refusal_bytes(BODY_TIMEOUT))
                cycle.scope["extensions"][ANSWERED] = BODY_TIMEOUT.status  # type: ignore[typeddict-item]
            # The application's receive() now reports a disconnect; nothing it sends is written.
            cycle.disconnected = True
            cycle.message_event.set()
        # Answered without the body or not: the connection waits for it no longer.
        self.transport.close()

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def _server_config(app: Any) -> ServerConfig:
    """The ``server`` section of the NekoServer being served; the defaults for any other app."""
    config = getattr(getattr(app, "services", None), "config", None)
    return config.server if config is not None else ServerConfig()
