"""operationId -> ``handlers.<tag>.<snake_case>``: one function per operation, found at start-up."""

from __future__ import annotations

import importlib
from typing import Any

from connexion.resolver import Resolution, Resolver

from .spec import OperationInfo


class HandlerResolver(Resolver):
    def __init__(self, operations: dict[str, OperationInfo], package: str = "handlers") -> None:
        super().__init__()
        self._operations = operations
        self._package = package

    def resolve(self, operation: Any) -> Resolution:
        info = self._operations[operation.operation_id]
        module = importlib.import_module(f"{self._package}.{info.tag}")
        handler = getattr(module, info.handler_name)  # a missing handler fails at start-up
        return Resolution(handler, info.operation_id)
