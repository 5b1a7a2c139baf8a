"""The WebSocket's events as ``spec/openapi.yaml`` declares them, in its ``x-websocket`` index.

Each event has a direction (``client``: clients send it, ``server``: the server does), a
summary, for server events who receives it, and, when it carries one, a payload schema
from ``components/schemas``. Those are OpenAPI 3.0 Schema Objects; here each becomes a JSON
Schema (draft 4, with OpenAPI's ``nullable`` spelled as a null type) compiled once per process.
The dispatcher validates client payloads with them; the tests validate every server event.

``python -m nekoapi.ws.declared`` checks the indexes (``make lint``); with ``--tables`` it prints
docs/room.md's event tables, with ``--write-tables`` it rewrites them there and Neko v2's
(``x-websocket-v2``) in docs/migrating.md.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from ..contract import raw_spec

DIRECTIONS = ("client", "server")
SCHEMA_PREFIX = "#/components/schemas/"
_ENTRY_KEYS = {"summary", "payload", "to"}


@dataclass(frozen=True)
class Declared:
    name: str
    direction: str
    summary: str
    to: str  # who receives a server event
    schema_name: str | None  # the payload's schema; None: the event carries no payload
    schema: dict[str, Any] | None = field(repr=False)  # as JSON Schema, references inlined

    @functools.cached_property
    def _validator(self) -> Any:
        return jsonschema_rs.Draft4Validator(self.schema or {})

    @functools.cached_property
    def _format_validator(self) -> Any:
        return jsonschema_rs.Draft4Validator(self.schema or {}, validate_formats=True)

    def problem(self, payload: Any, formats: bool = False) -> str | None:
        """What is wrong with ``payload``, without repeating its values (they may be secrets); None if valid.

        ``formats``: also check ``format`` (date-time), as the tests do for server events."""
        if self.schema is None:
            return None if payload is None else "expected no payload (null)"
        validator = self._format_validator if formats else self._validator
        try:
            validator.validate(payload)
        except jsonschema_rs.ValidationError as error:
            return describe(error, self.schema)
        return None


@dataclass(frozen=True)
class Declaration:
    client: dict[str, Declared]
    server: dict[str, Declared]
    components: dict[str, Any] = field(repr=False)

    def is_array(self, schema_name: str) -> bool:
        return bool(self.components[schema_name].get("type") == "array")


def describe(error: jsonschema_rs.ValidationError, schema: dict[str, Any]) -> str:
    """Where and which rule, e.g. ``x: maximum 65535``; the offending value is not repeated."""
    where = "/".join(str(part) for part in error.instance_path) or "payload"
    path = list(error.schema_path)
    keyword = str(path[-1]) if path else "schema"
    if keyword in ("required", "additionalProperties"):
        return f"{where}: {error.message}"  # names a field, not a value
    rule: Any = schema
    for part in path:
        rule = rule[part]
    return f"{where}: {keyword} {rule!r}"


V3_INDEX = "x-websocket"
# Neko's legacy (v2) socket at /ws: the same kind of index, its messages flat (``{"event", ...fields}``),
# each payload schema holding the fields beside ``event``.
V2_INDEX = "x-websocket-v2"
INDEXES = (V3_INDEX, V2_INDEX)


@functools.lru_cache(maxsize=len(INDEXES))
def declaration(index_name: str = V3_INDEX) -> Declaration:
    spec = raw_spec()
    components = spec["components"]["schemas"]
    index = spec[index_name]
    client, server = (
        {name: _declared(name, side, entry, components) for name, entry in index[side].items()} for side in DIRECTIONS
    )
    return Declaration(client, server, components)


def _declared(name: str, direction: str, entry: dict[str, Any], components: dict[str, Any]) -> Declared:
    payload = entry.get("payload")
    schema_name = payload["$ref"].removeprefix(SCHEMA_PREFIX) if payload else None
    schema = json_schema(components[schema_name], components) if schema_name else None
    return Declared(name, direction, entry.get("summary", ""), entry.get("to", ""), schema_name, schema)


def json_schema(node: Any, components: dict[str, Any], depth: int = 0) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``$ref`` inlined, ``nullable`` as a null type."""
    if depth > 32:
        raise ValueError("schema references nest too deep (a cycle?)")
    if isinstance(node, list):
        return [json_schema(item, components, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(components[node["$ref"].removeprefix(SCHEMA_PREFIX)], components, depth + 1)
    out = {key: _converted(key, value, components, depth) for key, value in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _converted(key: str, value: Any, components: dict[str, Any], depth: int) -> Any:
    if key == "properties":
        return {name: json_schema(sub, components, depth + 1) for name, sub in value.items()}
    if key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
        return json_schema(value, components, depth + 1)
    return value


# --- the check `make lint` runs ---


def problems() -> list[str]:
    """What is wrong with the index: unknown keys, references to no schema, schemas that do not compile.
    (Whether ``payloads.py``'s classes match their schemas is ``decoding.mismatches``; ``main`` runs both.)"""
    spec = raw_spec()
    components = spec["components"]["schemas"]
    found = []
    for index_name in INDEXES:
        index = spec.get(index_name)
        if not isinstance(index, dict) or set(DIRECTIONS) - index.keys():
            found.append(f"{index_name}: needs `client` and `server` event maps")
            continue
        for side in DIRECTIONS:
            for name, entry in index[side].items():
                problems = _entry_problems(name, side, entry, components)
                found += [f"{index_name} {side} {name}: {p}" for p in problems]
    return found


def _entry_problems(name: str, side: str, entry: Any, components: dict[str, Any]) -> list[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("summary"), str) or not entry["summary"].strip():
        return ["needs a summary"]
    found = [f"unknown key {key!r}" for key in sorted(entry.keys() - _ENTRY_KEYS)]
    if "/" not in name:
        found.append("an event is named <area>/<name>")
    if side == "server" and not entry.get("to"):
        found.append("a server event says who receives it (`to`)")
    payload = entry.get("payload")
    if payload is not None:
        ref = payload.get("$ref", "") if isinstance(payload, dict) else ""
        if not ref.startswith(SCHEMA_PREFIX) or ref.removeprefix(SCHEMA_PREFIX) not in components:
            return [*found, f"payload must be a $ref to {SCHEMA_PREFIX}<name>"]
        try:
            jsonschema.Draft4Validator.check_schema(json_schema(payload, components))
        except (jsonschema.SchemaError, KeyError, ValueError) as exc:
            found.append(f"payload schema: {exc}")
    return found


def tables(index_name: str = V3_INDEX) -> str:
    """The two event tables of an index (docs/room.md's, docs/migrating.md's), as generated from it."""
    declared = declaration(index_name)
    lines = ["| client event | payload | what the server does |", "|---|---|---|"]
    lines += [f"| `{d.name}` | {_shape(d, declared)} | {d.summary} |" for d in declared.client.values()]
    lines += ["", "| server event | payload | to | when |", "|---|---|---|---|"]
    lines += [f"| `{d.name}` | {_shape(d, declared)} | {d.to} | {d.summary} |" for d in declared.server.values()]
    return "\n".join(lines) + "\n"


def _shape(event: Declared, declared: Declaration) -> str:
    if event.schema_name is None:
        return "-"
    schema = declared.components[event.schema_name]
    if schema.get("type") == "array":
        inner = schema["items"].get("$ref", "").removeprefix(SCHEMA_PREFIX) or "object"
        return f"`{event.schema_name}`: [{inner}]"
    required = set(schema.get("required", ()))
    fields = ", ".join(name if name in required else f"{name}?" for name in schema.get("properties", {}))
    return f"`{event.schema_name}` `{{{fields}}}`"


TABLES_BEGIN = "<!-- x-websocket tables:"
TABLES_END = "<!-- end of x-websocket tables -->"
V2_TABLES_BEGIN = "<!-- x-websocket-v2 tables:"
V2_TABLES_END = "<!-- end of x-websocket-v2 tables -->"
# Where each index's tables stand: the document (under docs/) and its markers.
TABLE_DOCUMENTS = {
    V3_INDEX: ("room.md", TABLES_BEGIN, TABLES_END),
    V2_INDEX: ("migrating.md", V2_TABLES_BEGIN, V2_TABLES_END),
}


def write_tables(docs: Path, index_name: str = V3_INDEX) -> None:
    """Replaces what stands between the index's table markers in its document with ``tables()``."""
    name, begin, end = TABLE_DOCUMENTS[index_name]
    document = docs / name
    text = document.read_text(encoding="utf-8")
    start = text.index("\n", text.index(begin)) + 1
    document.write_text(text[:start] + tables(index_name) + text[text.index(end) :], encoding="utf-8")


def main(argv: list[str], mismatches: Callable[[], list[str]] = list) -> int:
    """``mismatches``: checked once the index is sound (the classes against schemas that resolve)."""
    if argv[1:] == ["--tables"]:
        sys.stdout.write(tables())
        return 0
    if argv[1:] == ["--write-tables"]:
        for index_name in INDEXES:
            write_tables(Path(__file__).resolve().parents[2] / "docs", index_name)
        return 0
    found = problems()
    found = found or mismatches()
    for problem in found:
        print(problem, file=sys.stderr)
    if not found:
        for index_name in INDEXES:
            declared = declaration(index_name)
            print(f"{index_name}: OK ({len(declared.client)} client events, {len(declared.server)} server events)")
    return 1 if found else 0


if __name__ == "__main__":
    # Run as the program, this module is no dependency of decoding.py's (which imports it), so the
    # class check can come in here.
    from .decoding import mismatches

    raise SystemExit(main(sys.argv, mismatches))
