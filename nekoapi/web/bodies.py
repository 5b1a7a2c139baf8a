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
    """The names of every secret property in a (resolved) body schema, following its ``$ref``s.

    Connexion hands each body schema over with the whole spec's ``components`` beside it
    (for the references it left); those are reached through the references only, or every
    body would count every secret of the spec (the broadcast's ``url`` made an open-link
    body with a ``url`` field a secret).
    """
    names: set[str] = set()
    components = schema.get("components", {}) if isinstance(schema, dict) else {}
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
            pending.extend(v for k, v in node.items() if k not in ("enum", "components"))
            pending.extend(_referred(node.get("$ref"), components))
        elif isinstance(node, list):
            pending.extend(node)
    return frozenset(names)


def _referred(ref: Any, components: dict[str, Any]) -> list[Any]:
    """The schema a local ``#/components/...`` reference names, if there is one."""
    if not isinstance(ref, str) or not ref.startswith("#/components/"):
        return []
    node: Any = components
    for part in ref.removeprefix("#/components/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return []
        node = node[part]
    return [node]


def error_message(exception: Any, secrets: frozenset[str]) -> str:
    """Connexion's message for a validation error; redacted only when it would show a secret's value.

    A message names the field and the rule either way; it loses the value when the failing
    value is a secret field's (or lies inside one), when a whole body of the wrong type may be a
    password sent bare, or when the message echoes a value that holds a secret. A message that
    names fields without echoing their values (a missing or unexpected field) is left whole.
    """
    path = ".".join(str(item) for item in exception.path)
    where = f" - '{path}'" if path else ""
    if not _reveals_secret(exception, secrets):
        return f"{exception.message}{where}"
    rule = exception.validator_value
    shown = f"{exception.validator}: {rule!r}" if isinstance(rule, str | int | float | bool) else exception.validator
    return f"a secret value is not valid ({shown}){where}"


def _reveals_secret(exception: Any, secrets: frozenset[str]) -> bool:
    instance = exception.instance
    if is_secret(exception.schema) or any(part in secrets for part in exception.path):
        return True
    if secrets and not exception.path and not isinstance(instance, dict):
        return True  # a whole body of the wrong type may be a secret sent bare (a password instead of an object)
    # jsonschema shows values with repr(): a secret is echoed exactly when its repr is in the message.
    return any(repr(value) in exception.message for value in _secret_values(instance, secrets))


def _secret_values(instance: Any, secrets: frozenset[str]) -> list[Any]:
    """Every value under a secret field's name, anywhere in ``instance``."""
    found: list[Any] = []
    pending = [instance]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            found.extend(v for k, v in node.items() if k in secrets)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
