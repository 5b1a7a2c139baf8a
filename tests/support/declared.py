"""Every response any test receives must be one the spec declares for its operation.

Connexion's response validation checks bodies of declared responses only; an
undeclared status code (a 409 nobody documented) passes it. This hook closes that
gap for the whole suite: ``api_client`` runs it on every response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from nekoapi.web.methods import path_pattern
from nekoapi.web.spec import OperationInfo

from .spec_samples import OPERATIONS, resolve

# Fixed paths before templated ones, as a router would: /a/fixed wins over /a/{id}.
_ROUTES = [
    (op.method.upper(), path_pattern(op.path), op) for op in sorted(OPERATIONS.values(), key=lambda o: "{" in o.path)
]


def operation_for(method: str, path: str) -> OperationInfo | None:
    return next((op for m, pattern, op in _ROUTES if m == method and pattern.match(path)), None)


def undeclared(response: httpx.Response, prefix: str = "") -> str | None:
    """What about this response the spec does not declare, or None.

    ``prefix`` is the server's ``server.path_prefix``: operations live below it,
    and anything outside it is no operation at all.
    """
    path = response.request.url.path
    prefix = prefix.rstrip("/")
    if prefix:
        if not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :]
    op = operation_for(response.request.method, path)
    if op is None:
        return None  # not an operation: documents, Swagger UI, unknown paths and methods
    declared = op.operation["responses"].get(str(response.status_code))
    if declared is None:
        return f"{op.operation_id} answered {response.status_code}, which its spec entry does not declare"
    declared = resolve(declared)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    expected = set(declared.get("content", {}))
    if (content_type or expected) and content_type not in expected:
        return f"{op.operation_id} {response.status_code}: content type {content_type!r}, declared {sorted(expected)}"
    return None


def declared_responses_only(prefix: str = "") -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook that fails the test on a response the spec does not declare."""

    async def check(response: httpx.Response) -> None:
        problem = undeclared(response, prefix)
        assert problem is None, problem

    return check
