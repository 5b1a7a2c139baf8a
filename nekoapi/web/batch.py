"""``POST /api/batch``: each sub-request goes through the whole app again, as the caller.

Nothing is short-cut: routing, validation, authentication, access rules,
logs and metrics apply to every sub-request exactly as if the client had
sent it alone, with the credentials of the batch request itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.types import Message, Scope

from .. import errors
from .errors import error_body
from .state import SERVER_KEY, STATE_KEY

BATCH_PATH = "/api/batch"
# Only these headers of the batch request are passed on: they carry the credentials.
CREDENTIAL_HEADERS = frozenset({b"authorization", b"cookie"})
# Marks sub-requests, so that a batch reached through a path spelled differently is refused as well.
IN_BATCH = "nekoapi.in_batch"


async def run_batch(scope: Scope, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    server = scope["state"][SERVER_KEY]
    limit = server.services.config.server.batch_limit
    if len(requests) > limit:
        raise errors.BatchTooLarge(f"a batch may hold at most {limit} sub-requests")
    paths = [_split(server.prefix, r["path"])[0] for r in requests]
    if scope["state"].get(IN_BATCH) or any(path.rstrip("/") == BATCH_PATH for path in paths):
        raise errors.NestedBatch()
    return [await _one(server, scope, request) for request in requests]


async def _one(server: Any, outer: Scope, request: dict[str, Any]) -> dict[str, Any]:
    path, query = _split(server.prefix, request["path"])
    body = b"" if request.get("body") is None else orjson.dumps(request["body"])
    scope = _sub_scope(outer, request["method"], path, _with_token(outer, query), body)
    # The checks a request gets before routing (a newline in the path, for one) apply to each sub-request.
    refusal = server.hardening.refusal(scope)
    if refusal is not None:
        status, headers, payload = refusal.status, {b"content-type": b"application/json"}, error_body(*refusal)
    else:
        status, headers, payload = await _call(server.dispatch, scope, body)
    return {"path": request["path"], "method": request["method"], "status": status, "body": _decode(headers, payload)}


def _split(prefix: str, target: str) -> tuple[str, str]:
    path, _, query = target.partition("?")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    return path, query


def _with_token(outer: Scope, query: str) -> str:
    """A caller who authenticated with ``?token=`` keeps doing so in each sub-request."""
    pairs = parse_qsl(query, keep_blank_values=True)
    outer_token = [v for k, v in parse_qsl(outer.get("query_string", b"").decode("latin-1")) if k == "token"]
    if outer_token and not any(k == "token" for k, _ in pairs):
        pairs.append(("token", outer_token[0]))
    return urlencode(pairs)


def _sub_scope(outer: Scope, method: str, path: str, query: str, body: bytes) -> Scope:
    headers = [(k, v) for k, v in outer.get("headers", []) if k.lower() in CREDENTIAL_HEADERS]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": outer.get("http_version", "1.1"),
        "method": method,
        "scheme": outer.get("scheme", "http"),
        "server": outer.get("server"),
        "client": outer.get("client"),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "state": {STATE_KEY: outer["state"][STATE_KEY], SERVER_KEY: outer["state"][SERVER_KEY], IN_BATCH: True},
    }


async def _call(app: Any, scope: Scope, body: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    sent = False
    status = 500
    headers: dict[bytes, bytes] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update((k.lower(), v) for k, v in message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, headers, b"".join(chunks)


def _decode(headers: dict[bytes, bytes], payload: bytes) -> Any:
    if not payload:
        return None
    if headers.get(b"content-type", b"").startswith(b"application/json"):
        return orjson.loads(payload)
    return payload.decode("utf-8", "replace")
