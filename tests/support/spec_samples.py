"""What tests derive from the spec: its operations, and a minimal valid request for each."""

from __future__ import annotations

import re
from typing import Any

from nekoapi.web.spec import OperationInfo, load_spec, operations

from .factory import make_config

SPEC = load_spec(make_config())
OPERATIONS: dict[str, OperationInfo] = operations(SPEC)


V2_SECURITY = [{"V2Password": []}]  # Neko v2's paths: a password in ?pwd=, refused with 403 (tests/legacy)


def is_v2(op: OperationInfo) -> bool:
    return op.operation.get("security") == V2_SECURITY


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample(schema: Any) -> Any:
    """The smallest value that the schema accepts: required fields only, first enum value, minimums."""
    schema = resolve(schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(sample(part))
        return merged
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: sample(properties[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [sample(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    return "x" * schema.get("minLength", 1)


def request_body(op: OperationInfo) -> Any | None:
    """A valid JSON body for the operation, or None when it takes none (or no JSON: uploads)."""
    body = resolve(op.operation.get("requestBody"))
    if body is None or "application/json" not in body["content"]:
        return None  # multipart uploads: sent without a body, refused before it matters
    return sample(body["content"]["application/json"]["schema"])


def url(op: OperationInfo, value: str = "no-such-id") -> str:
    return re.sub(r"\{[^}]+\}", value, op.path)


def declared(op: OperationInfo) -> set[int]:
    return {int(code) for code in op.operation["responses"] if code.isdigit()}


def parameters(op: OperationInfo) -> list[dict[str, Any]]:
    item = SPEC["paths"][op.path]
    return [resolve(p) for p in [*item.get("parameters", []), *op.operation.get("parameters", [])]]
