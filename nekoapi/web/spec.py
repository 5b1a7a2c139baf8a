"""Loading the contract, and the facts about each operation that the server derives from it."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson
from connexion.spec import Specification

from ..config import Config
from ..contract import SPEC_PATH
from ..contract import raw_spec as _raw_spec

__all__ = ["SPEC_PATH", "OperationInfo", "load_spec", "operations", "validate_each_spec_once"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def validate_each_spec_once() -> None:
    """Connexion checks the whole spec against the OpenAPI schema whenever it builds a
    ``Specification``, which it does several times per app; that was most of the cost of
    ``create_app``. The check depends only on the spec's content, so each content is
    checked once per process and a spec that fails is still refused every time."""
    if getattr(Specification._validate_spec, "_nekoapi_once", False):
        return
    check = Specification._validate_spec.__func__  # type: ignore[attr-defined]
    valid: set[bytes] = set()

    def validate(cls: type[Specification], spec: dict[str, Any]) -> None:
        try:
            digest = hashlib.sha256(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)).digest()
        except TypeError:  # not plain JSON data: no digest, so check it every time
            check(cls, spec)
            return
        if digest not in valid:
            check(cls, spec)
            valid.add(digest)

    validate._nekoapi_once = True  # type: ignore[attr-defined]
    Specification._validate_spec = classmethod(validate)  # type: ignore[assignment,method-assign]


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
    def takes_files(self) -> bool:
        """Its body is a multipart form: files the server stores while it reads them."""
        return "multipart/form-data" in (self.operation.get("requestBody") or {}).get("content", {})

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
