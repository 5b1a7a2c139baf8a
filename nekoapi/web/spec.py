"""Loading the contract, and the facts about each operation that the server derives from it."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import Config

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@functools.lru_cache(maxsize=1)
def _raw_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)  # type: ignore[no-any-return]


def load_spec(config: Config) -> dict[str, Any]:
    """The spec as this server serves it: the cookie scheme carries the configured name."""
    spec = copy.deepcopy(_raw_spec())
    spec["components"]["securitySchemes"]["CookieAuth"]["name"] = config.session.cookie.name
    return spec


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    method: str
    path: str
    tag: str
    access: str  # "public", "session" (any authenticated session) or "admin"
    operation: dict[str, Any]

    @property
    def handler_name(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation_id).lower()


def operations(spec: dict[str, Any]) -> dict[str, OperationInfo]:
    """Every operation of the spec by operationId."""
    found: dict[str, OperationInfo] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            secured = bool(op.get("security", spec.get("security", [])))
            access = op.get("x-nekoapi-access", "session" if secured else "public")
            found[op["operationId"]] = OperationInfo(op["operationId"], method, path, op["tags"][0], access, op)
    return found
