"""The spec's ``x-nekoapi-access: admin``, enforced between authentication and validation.

Enforced here rather than around each handler so that a non-administrator is
told 403 before anything looks at the request body: whether a body would have
been valid is none of their business.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .. import errors
from .spec import OperationInfo


class AccessMiddleware:
    def __init__(self, app: ASGIApp, operations: dict[str, OperationInfo]) -> None:
        self.app = app
        self.admin_only = frozenset(op for op, info in operations.items() if info.access == "admin")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            extensions = scope.get("extensions", {})
            operation_id = extensions.get("connexion_routing", {}).get("operation_id")
            if operation_id in self.admin_only:
                session = extensions["connexion_context"]["token_info"]["session"]
                if not session.profile.is_admin:
                    raise errors.AdminRequired()
        await self.app(scope, receive, send)
