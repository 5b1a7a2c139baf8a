"""What a JSON request body must be besides valid against its schema: storable and sendable back.

Bodies are validated as orjson parses them, but the handler reads them again with
the standard library, which keeps integers of any size and any depth of nesting.
Whatever is accepted is stored (SQLite, PostgreSQL, Redis) and written back with
orjson (replies, WebSocket events), which writes integers of 64 bits at most and
nests a limited number of levels. So a body is refused (400) when it holds an
integer outside that range or nests deeper than ``MAX_DEPTH``; nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

from connexion.exceptions import BadRequestProblem

# orjson writes at most 254 levels; stored values are nested again in replies and
# events (a profile's plugins sit 5 levels down in system/init), so leave a wide margin.
MAX_DEPTH = 64
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what orjson reads as an integer, and writes


def check_storable(raw: bytes | str, body: Any) -> None:
    """Raises a 400 problem unless ``body`` (``raw`` as orjson parsed it) can be stored and written back."""
    if _walk(body):
        # orjson read an integer beyond 64 bits as a float; only the text says which it was.
        json.loads(raw, parse_int=_exact_int)


def _walk(body: Any) -> bool:
    """Checks the depth; whether a float could have been a too large integer in the text."""
    suspicious = False
    level: list[Any] = [body]
    for _ in range(MAX_DEPTH + 1):
        children: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                children.extend(value.values())
            elif isinstance(value, list):
                children.extend(value)
            elif isinstance(value, float) and value.is_integer() and not INT_MIN < value < INT_MAX:
                suspicious = True
        if not children:
            return suspicious
        level = children
    raise BadRequestProblem(detail=f"request body nests deeper than {MAX_DEPTH} levels")


def _exact_int(text: str) -> int:
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise BadRequestProblem(detail="request body holds an integer outside the 64-bit range")
    return value


# --- validation messages that never carry a secret (passwords, tokens) ---


def is_secret(schema: Any) -> bool:
    """A field the spec marks as secret: ``format: password`` or ``writeOnly``."""
    return isinstance(schema, dict) and (schema.get("format") == "password" or schema.get("writeOnly") is True)


def secret_names(schema: Any) -> frozenset[str]:
    """The names of every secret property anywhere in a (resolved) body schema."""
    names: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if is_secret(sub):
                    names.add(name)
            pending.extend(v for k, v in node.items() if k != "enum")
        elif isinstance(node, list):
            pending.extend(node)
    return frozenset(names)


def error_message(exception: Any, secrets: frozenset[str]) -> str:
    """Connexion's message for a validation error, without the value when it is or holds a secret."""
    path = ".".join(str(item) for item in exception.path)
    where = f" - '{path}'" if path else ""
    instance = exception.instance
    # A whole body of the wrong type may be a secret sent bare (a password instead of an object).
    bare = bool(secrets) and not path and not isinstance(instance, dict)
    if not (bare or is_secret(exception.schema) or _holds_secret(instance, secrets)):
        return f"{exception.message}{where}"
    rule = exception.validator_value
    shown = f"{exception.validator}: {rule!r}" if isinstance(rule, str | int | float | bool) else exception.validator
    return f"a secret value is not valid ({shown}){where}"


def _holds_secret(instance: Any, secrets: frozenset[str]) -> bool:
    if isinstance(instance, dict):
        return any(k in secrets or _holds_secret(v, secrets) for k, v in instance.items())
    if isinstance(instance, list):
        return any(_holds_secret(v, secrets) for v in instance)
    return False
