"""Parsers by declared type, and the checks several keys share.

A value arrives as text (an environment variable, a flag, a quoted YAML scalar) or as a YAML value;
both go through the same parser. Types: ``bool``, ``int``, ``float`` (a duration: seconds or Go's
``1h30m``), ``str``, ``tuple[str, ...]`` (a YAML list, or comma-separated / JSON text),
``dict[str, Any]`` (a mapping, or JSON text) and ``Literal[...]`` (one of its values, any case).
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any, Literal

from .declare import Invalid

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def by_type(kind: Any, raw: Any) -> Any:
    """``raw`` as the declared type ``kind``."""
    if kind is bool:
        return boolean(raw)
    if kind is int:
        return whole(raw)
    if kind is float:
        return duration(raw)
    if kind is str:
        return text(raw)
    origin = typing.get_origin(kind)
    if origin is Literal:
        return one_of(typing.get_args(kind), raw)
    if origin is tuple:
        return strings(raw)
    if origin is dict:
        return json_object(raw)
    raise TypeError(f"no parser for {kind!r}; declare the key with parse=")  # a declaration mistake


def boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise Invalid("expected true or false", got=raw)


def whole(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise Invalid("expected a whole number", got=raw)


def duration(raw: Any) -> float:
    """Seconds, or a Go duration (``24h``, ``1h30m``, ``500ms``)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return float(text)
        except ValueError:
            pass
        parts = _DURATION.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    raise Invalid("expected seconds or a duration like 24h", got=raw)


def text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)  # a numeric password or token written without quotes
    raise Invalid("expected text", got=raw)


def one_of(choices: tuple[str, ...], raw: Any) -> str:
    if isinstance(raw, str) and raw.strip().lower() in choices:
        return raw.strip().lower()
    raise Invalid(f"expected {said(choices)}", got=raw)


def said(choices: tuple[str, ...]) -> str:
    """``a, b or c``."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def strings(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return tuple(raw)
    if not isinstance(raw, str):
        raise Invalid("expected a list of strings", got=raw)
    stripped = raw.strip()
    if stripped.startswith("["):
        return strings(json_list(stripped))
    return tuple(part.strip() for part in stripped.split(",") if part.strip())


def json_list(raw: Any, what: str = "a list") -> list[Any]:
    """A YAML list, or JSON text holding one ("" is an empty list)."""
    if isinstance(raw, list):
        return raw
    value = _json(raw, "[]") if isinstance(raw, str) else raw
    if not isinstance(value, list):
        raise Invalid(f"expected {what}")
    return value


def json_object(raw: Any) -> dict[str, Any]:
    """A YAML mapping, or JSON text holding an object ("" is an empty one)."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        raise Invalid("expected a mapping", got=raw)
    value = _json(raw, "{}")
    if not isinstance(value, dict):
        raise Invalid("expected a JSON object")
    return value


def _json(raw: str, empty: str) -> Any:
    try:
        return json.loads(raw.strip() or empty)
    except json.JSONDecodeError as exc:
        raise Invalid(f"invalid JSON ({exc.msg})") from None


# --- checks: a parsed value -> what is wrong with it, or None ---


def positive(value: float) -> str | None:
    return None if value > 0 else "expected a number above 0"


def within(low: int, high: int, what: str) -> typing.Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"expected {what} from {low} to {high}"

    return check
