"""Refuses oversized requests before anything parses them, and adds security headers.

Sits outermost around the HTTP app, so it also covers errors the framework
answers itself.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import ServerConfig
from .errors import error_body

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # Responses carry tokens and session data: no cache may keep them.
    (b"cache-control", b"no-store"),
]


class HardeningMiddleware:
    def __init__(self, app: ASGIApp, server: ServerConfig) -> None:
        self.app = app
        self.max_url_length = server.max_url_length
        self.max_header_size = server.max_header_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > self.max_url_length:
            await _refuse(send, 414, "request URL too long")
            return
        if sum(len(name) + len(value) for name, value in scope["headers"]) > self.max_header_size:
            await _refuse(send, 431, "request headers too large")
            return
        if _CONTROL_CHARACTERS.search(scope["path"]):
            # No resource has such a name, and the routers disagree about it: Python's "$"
            # matches before a trailing newline, so "/x%0A" reached an operation while
            # Connexion's security and validation layers did not recognise it and let it pass.
            await _refuse(send, 404, "not found")
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_hardened)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = error_body(status, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
