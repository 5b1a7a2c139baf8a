"""Refuses oversized or malformed request lines before anything parses them, and adds security headers.

Checked first for every HTTP request (``NekoServer``), so the headers also
cover errors the framework answers itself.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from starlette.types import Message, Scope, Send

from ..config import ServerConfig
from .errors import error_body

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # Responses carry tokens and session data: no cache may keep them.
    (b"cache-control", b"no-store"),
]
_SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class Refusal(NamedTuple):
    """A request answered before routing: its status and message."""

    status: int
    message: str


class Hardening:
    def __init__(self, server: ServerConfig) -> None:
        self.max_url_length = server.max_url_length
        self.max_header_size = server.max_header_size

    def refusal(self, scope: Scope) -> Refusal | None:
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > self.max_url_length:
            return Refusal(414, "request URL too long")
        if sum(len(name) + len(value) for name, value in scope["headers"]) > self.max_header_size:
            return Refusal(431, "request headers too large")
        if _CONTROL_CHARACTERS.search(scope["path"]):
            # No resource has such a name, and the routers disagree about it: Python's "$"
            # matches before a trailing newline, so "/x%0A" reached an operation while
            # Connexion's security and validation layers did not recognise it and let it pass.
            return Refusal(404, "not found")
        return None


def add_security_headers(message: Message) -> None:
    """Adds the security headers to an ``http.response.start`` message that lacks them."""
    headers = message.get("headers", [])
    present = {name.lower() for name, _ in headers}
    if present >= _SECURITY_HEADER_NAMES:
        return
    message["headers"] = [*headers, *((n, v) for n, v in SECURITY_HEADERS if n not in present)]


async def refuse(send: Send, refusal: Refusal, *, close: bool = False) -> None:
    status, message = refusal
    body = error_body(status, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
