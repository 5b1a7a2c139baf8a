"""The spec's ``x-nekoapi-access: admin``, enforced between authentication and validation.

Enforced here rather than around each handler so that a non-administrator is
told 403 before anything looks at the request body: whether a body would have
been valid is none of their business. It runs in Connexion's security step,
right after the security handlers have accepted the credentials, instead of
as one more middleware layer on every request.
"""

from __future__ import annotations

import functools
from typing import Any

from connexion.lifecycle import ConnexionRequest
from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation
from starlette.types import Receive, Scope, Send

from .. import errors
from .spec import operations


class _GuardedOperation(SecurityOperation):
    """Connexion's security check of one operation, then the access rule."""

    admin_only = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.security:
            await self.verification_fn(ConnexionRequest(scope))
        if self.admin_only:
            session = scope["extensions"]["connexion_context"]["token_info"]["session"]
            if not session.profile.is_admin:
                raise errors.AdminRequired()
        await self.next_app(scope, receive, send)


class _GuardedSecurityAPI(SecurityAPI):
    @functools.cached_property
    def _admin_only(self) -> frozenset[str]:
        return frozenset(op for op, info in operations(self.specification.raw).items() if info.access == "admin")

    def make_operation(self, operation: Any) -> SecurityOperation:
        guarded = _GuardedOperation.from_operation(
            operation, next_app=self.next_app, security_handler_factory=self.security_handler_factory
        )
        guarded.admin_only = getattr(operation, "operation_id", None) in self._admin_only
        return guarded


class GuardedSecurityMiddleware(SecurityMiddleware):
    """Connexion's ``SecurityMiddleware``, with the access rule of each operation."""

    api_cls = _GuardedSecurityAPI  # type: ignore[assignment]
