"""operationId -> ``handlers.<tag>.<snake_case>``, wrapped with the access rule the spec declares."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from connexion.context import context
from connexion.resolver import Resolution, Resolver

from .. import errors
from .spec import OperationInfo

Handler = Callable[..., Awaitable[Any]]


class HandlerResolver(Resolver):
    def __init__(self, operations: dict[str, OperationInfo], package: str = "handlers") -> None:
        super().__init__()
        self._operations = operations
        self._package = package

    def resolve(self, operation: Any) -> Resolution:
        info = self._operations[operation.operation_id]
        module = importlib.import_module(f"{self._package}.{info.tag}")
        handler = getattr(module, info.handler_name)  # a missing handler fails at start-up
        if info.access == "admin":
            handler = admin_only(handler)
        return Resolution(handler, info.operation_id)


def admin_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        if not context["token_info"]["session"].profile.is_admin:
            raise errors.AdminRequired()
        return await handler(*args, **kwargs)

    return guarded
