"""What a JSON request body must be besides valid against its schema: storable and sendable back.

A body is parsed once, by orjson, and the handler gets that very value (see
fastpath.py): integers beyond 64 bits are already doubles then, as Neko's Go
server keeps them, so everything accepted can be stored and written back with
orjson (replies, WebSocket events). Only the nesting needs a limit: orjson writes
a limited number of levels, and stored values are nested again in replies and
events (a profile's plugins sit 5 levels down in system/init). A body nested
deeper than ``MAX_DEPTH`` is refused (400) and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from connexion.exceptions import BadRequestProblem

MAX_DEPTH = 64  # objects and arrays inside each other, the body itself included; orjson writes 254


def check_depth(body: Any) -> None:
    """Raises a 400 problem when ``body`` nests objects and arrays deeper than ``MAX_DEPTH``."""
    level: list[Any] = [body]
    for _ in range(MAX_DEPTH + 1):
        children: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                children.extend(value.values())
            elif isinstance(value, list):
                children.extend(value)
        if not children:
            return
        level = children
    raise BadRequestProblem(detail=f"request body nests deeper than {MAX_DEPTH} levels")


# --- validation messages that never carry a secret (passwords, tokens) ---


def is_secret(schema: Any) -> bool:
    """A field the spec marks as secret: ``format: password`` or ``writeOnly``."""
    return isinstance(schema, dict) and (schema.get("format") == "password" or schema.get("writeOnly") is True)


def secret_names(schema: Any) -> frozenset[str]:
    """The names of every secret property anywhere in a (resolved) body schema."""
    names: set[str] = set()
    pending: list[Any] = [schema]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue  # a schema that refers to itself: walked once
        seen.add(id(node))
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
