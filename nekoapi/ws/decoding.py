"""Client payloads decoded from their schemas: validated, then built into typed objects.

``decoders()`` holds one ``Decoder`` per declared client event, built once per process; the
dispatcher (``messages.py``) is its only user at run time. ``mismatches`` says where a class of
``payloads.py`` and its schema disagree.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import field
from typing import Any

from .declared import SCHEMA_PREFIX, Declaration, Declared, declaration
from .payloads import CLASSES, json_named


class MalformedPayload(ValueError):
    """A client event's payload does not match its schema; the event is dropped, as Neko does."""


Build = Callable[[Any], Any]


class Decoder:
    """One client event's payload: validated against its schema, then built into its class."""

    def __init__(self, event: Declared, declared: Declaration) -> None:
        self.event = event
        self._empty: Any = None
        self._build: Build = _same
        if event.schema_name is not None:
            self._empty = [] if declared.is_array(event.schema_name) else {}
            self._build = _builder(type_for(event.schema_name, declared))

    def __call__(self, payload: Any) -> Any:
        """The typed payload (None for an event without one); ``MalformedPayload`` if it does not match."""
        if self.event.schema_name is None:
            return None  # whatever came is ignored, as by Neko
        if payload is None:
            payload = self._empty  # as Go decodes a null into a zero value
        problem = self.event.problem(payload)
        if problem is not None:
            raise MalformedPayload(problem)
        return self._build(payload)


@functools.lru_cache(maxsize=1)
def decoders() -> dict[str, Decoder]:
    """A decoder for every declared client event, built once per process."""
    declared = declaration()
    return {name: Decoder(event, declared) for name, event in declared.client.items()}


def type_for(schema_name: str, declared: Declaration) -> Any:
    """The class of a payload schema: ours, or one made from the schema's properties."""
    if schema_name in CLASSES:
        return CLASSES[schema_name]
    schema = declared.components[schema_name]
    if schema.get("type") == "array":
        item = schema.get("items", {}).get("$ref", "").removeprefix(SCHEMA_PREFIX)
        return tuple[type_for(item, declared), ...] if item else tuple[Any, ...]
    if schema.get("type") != "object":
        return Any
    return _made_class(schema_name, schema, declared)


def _made_class(schema_name: str, schema: dict[str, Any], declared: Declaration) -> type:
    required = set(schema.get("required", ()))
    fields: list[Any] = []
    for name, sub in schema.get("properties", {}).items():
        ref = sub.get("$ref", "").removeprefix(SCHEMA_PREFIX) if isinstance(sub, dict) else ""
        hint = type_for(ref, declared) if ref else Any
        spec = field(metadata={"json": name}) if name in required else json_named(name)
        fields.append((name if name.isidentifier() else f"field_{len(fields)}", hint, spec))
    fields.sort(key=lambda f: f[2].default is not dataclasses.MISSING)  # required ones (no default) first
    return dataclasses.make_dataclass(schema_name, fields, frozen=True)


def _same(value: Any) -> Any:
    return value


def _builder(hint: Any) -> Build:
    """A function from validated JSON to ``hint``: dataclasses field by field, tuples item by item."""
    if dataclasses.is_dataclass(hint):
        return _class_builder(hint)  # type: ignore[arg-type]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple and args:
        item = _builder(args[0])
        return lambda value: tuple(item(v) for v in value)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        inner = _builder(next(a for a in args if a is not type(None)))
        if inner is _same:
            return _same
        return lambda value: None if value is None else inner(value)
    return _same


def _class_builder(cls: type) -> Build:
    hints = typing.get_type_hints(cls)
    plan = [(f.name, f.metadata.get("json", f.name), _builder(hints[f.name])) for f in dataclasses.fields(cls)]

    def build(value: dict[str, Any]) -> Any:
        return cls(**{name: convert(value[key]) for name, key, convert in plan if key in value})

    return build


def json_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.metadata.get("json", f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]


def mismatches() -> list[str]:
    """Where a class of ours and its schema disagree (fields, required ones, nested classes)."""
    declared = declaration()
    used = {e.schema_name for e in declared.client.values() if e.schema_name}
    found = [f"payloads.py {name}: no such schema" for name in CLASSES if name not in declared.components]
    for name, cls in CLASSES.items():
        schema = declared.components.get(name, {})
        if not dataclasses.is_dataclass(cls) or schema.get("type") != "object":
            continue
        found += [f"payloads.py {name}: {p}" for p in _class_problems(cls, schema)]  # type: ignore[arg-type]
    reachable = _referenced(used, declared)
    unused = sorted(n for n in CLASSES if n not in reachable)
    return found + [f"payloads.py {name}: no client event uses it" for name in unused]


def _class_problems(cls: type, schema: dict[str, Any]) -> list[str]:
    fields, properties = json_fields(cls), schema.get("properties", {})
    found = [f"field {n!r} is not a property" for n in fields if n not in properties]
    found += [f"property {n!r} has no field" for n in properties if n not in fields]
    required = set(schema.get("required", ()))
    for name, f in fields.items():
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if (name in required) == has_default:
            found.append(f"field {name!r}: {'required' if name in required else 'optional'} in the schema")
        ref = properties.get(name, {}).get("$ref", "").removeprefix(SCHEMA_PREFIX)
        hint = typing.get_type_hints(cls)[f.name]
        if ref and CLASSES.get(ref) not in (hint, *typing.get_args(hint)):
            found.append(f"field {name!r} should be {ref}")
    return found


def _referenced(names: set[str], declared: Declaration) -> set[str]:
    """``names`` and every schema they refer to, however deep."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found and name in declared.components:
            found.add(name)
            todo += _refs(declared.components[name])
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"].removeprefix(SCHEMA_PREFIX)] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []
