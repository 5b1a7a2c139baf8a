"""Request limits that hold before Connexion parses anything: body size and a missing content type.

Checked in front of Connexion (after the hardening checks) so that an oversized
body is refused on its ``Content-Length`` alone, without reading it, and a
streamed body is refused as soon as it crosses the limit. A streamed (chunked)
JSON body is buffered here; a streamed upload is not: it must be admitted first
(admission.py), and the multipart parser bounds it as it reads.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from .hardening import Refusal

JSON = b"application/json"


MULTIPART = b"multipart/form-data"


class RequestLimits:
    def __init__(self, max_body_size: int, max_upload_size: int | None = None) -> None:
        self.max_body_size = max_body_size
        # multipart/form-data bodies (file uploads) have a limit of their own.
        self.max_upload_size = max_body_size if max_upload_size is None else max_upload_size

    async def admit(self, scope: Scope, receive: Receive) -> tuple[Scope, Receive] | Refusal:
        """The request as Connexion should see it, or why it is refused."""
        headers = dict(scope["headers"])
        limit = self._limit_for(headers)
        declared = headers.get(b"content-length")
        if declared is not None and not declared.isdigit():
            return Refusal(400, "invalid Content-Length header")
        chunked = declared is None and b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if chunked and _is_multipart(headers):
            # Not buffered: an upload is admitted (admission.py) before it is read, and the
            # multipart parser stops it once it passes the limit (413).
            return scope, receive
        if chunked:
            try:
                body = await _read_at_most(receive, limit)
            except _Disconnected:
                # Gone or cut off (server.body_timeout): a partial body must not be taken as whole.
                return Refusal(408, "request body not received in time")
            if body is None:
                return self._too_large(limit)
            scope, receive, declared = _as_fixed_length(scope, body), _replay(body, receive), str(len(body)).encode()
        elif declared is not None and int(declared) > limit:
            return self._too_large(limit)
        if declared not in (None, b"0") and b"content-type" not in headers:
            # Neko reads every body as JSON whatever its header says; a body that
            # names no type is taken as JSON, one that names another type gets 415.
            scope = {**scope, "headers": [*scope["headers"], (b"content-type", JSON)]}
        return scope, receive

    def _limit_for(self, headers: dict[bytes, bytes]) -> int:
        return self.max_upload_size if _is_multipart(headers) else self.max_body_size

    def _too_large(self, limit: int) -> Refusal:
        return Refusal(413, f"request body is larger than {limit} bytes")


def _is_multipart(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-type", b"").lower().startswith(MULTIPART)


def _as_fixed_length(scope: Scope, body: bytes) -> Scope:
    """A buffered chunked body, described as a fixed-length one: Connexion looks at Content-Length."""
    kept = [(k, v) for k, v in scope["headers"] if k not in (b"transfer-encoding", b"content-length")]
    return {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}


class _Disconnected(Exception):
    """The connection ended before the body did."""


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The whole streamed body, or None as soon as it grows past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hands the buffered body over once, then waits on the connection as before (for disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
