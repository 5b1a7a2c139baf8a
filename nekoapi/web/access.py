"""The spec's ``x-nekoapi-access: admin``, enforced between authentication and validation.

Enforced here rather than around each handler so that a non-administrator is
told 403 before anything looks at the request body: whether a body would have
been valid is none of their business. It runs in Connexion's security step,
right after the security handlers have accepted the credentials, instead of
as one more middleware layer on every request. An operation that takes files is
admitted here too (admission.py): the caller's right and room for the body are
settled before a byte of it is read.
"""

from __future__ import annotations

import functools
from typing import Any

from connexion.lifecycle import ConnexionRequest
from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation
from starlette.types import Receive, Scope, Send

from .. import errors
from .admission import RightCheck, carries_files, right_of, upload_length
from .spec import OperationInfo, operations
from .state import SERVER_KEY, services_of


class _GuardedOperation(SecurityOperation):
    """Connexion's security check of one operation, then the access rule."""

    admin_only = False
    upload_right: RightCheck | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.security:
            await self.verification_fn(ConnexionRequest(scope))
        if self.admin_only and not _caller(scope).profile.is_admin:
            raise errors.AdminRequired()
        if self.upload_right is None or not carries_files(scope["headers"]):
            await self.next_app(scope, receive, send)
            return
        session = _caller(scope)
        self.upload_right(services_of(scope), session)
        server = scope["state"][SERVER_KEY]
        size = upload_length(scope["headers"], server.limits.max_upload_size)
        with server.uploads_in_flight.held(session.id, size):
            await self.next_app(scope, receive, send)


def _caller(scope: Scope) -> Any:
    return scope["extensions"]["connexion_context"]["token_info"]["session"]


class _GuardedSecurityAPI(SecurityAPI):
    @functools.cached_property
    def _operations(self) -> dict[str, OperationInfo]:
        return operations(self.specification.raw)

    def make_operation(self, operation: Any) -> SecurityOperation:
        guarded = _GuardedOperation.from_operation(
            operation, next_app=self.next_app, security_handler_factory=self.security_handler_factory
        )
        info = self._operations.get(getattr(operation, "operation_id", None) or "")
        if info is not None:
            guarded.admin_only = info.access == "admin"
            guarded.upload_right = right_of(info.operation_id) if info.takes_files else None
        return guarded


class GuardedSecurityMiddleware(SecurityMiddleware):
    """Connexion's ``SecurityMiddleware``, with the access rule of each operation."""

    api_cls = _GuardedSecurityAPI  # type: ignore[assignment]
