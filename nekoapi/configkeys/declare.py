"""How a configuration key is declared: ``key(default, meaning, ...)``, a field of a section dataclass.

A section is a frozen dataclass whose fields are keys or sections (``section(Cls)``). Parsers and
checks describe what is wrong and never name the key: they raise ``Invalid`` or return a problem,
and ``nekoapi.config`` reports it with the key's name as the operator wrote it (file key, environment
variable or flag), the value left out for secrets.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SPEC = "nekoapi.config.key"  # the metadata entry of a key's field
NOTHING: Any = object()  # Invalid without a value to show

Check = Callable[[Any], "str | None"]


class Invalid(ValueError):
    """A value a parser refuses: ``problem`` ("expected ..."), ``at`` (a place inside the value, e.g.
    ``hd.fps``), and ``got`` (the value, shown unless the key is secret)."""

    def __init__(self, problem: str, *, at: str = "", got: Any = NOTHING) -> None:
        super().__init__(problem)
        self.problem, self.at, self.got = problem, at, got


SKIP: Any = object()  # a v2 converter's answer: this value leaves the key to its other sources


@dataclass(frozen=True)
class Legacy:
    """A Neko v2 name of a key: ``NEKO_<NAME>`` in the environment, ``<name>`` at the file's top.

    Set, it wins over the key's own (v3) names, as in Neko, unless ``yields`` (Neko keeps the video
    pipelines given with v3 keys). ``convert(raw, so_far)`` turns its value into one the key's
    parser takes (v2's forms differ): ``so_far`` is what the key's earlier v2 names gave (``NOTHING``
    when none), so that several names may add up (v2's bitrate and frame rate make one rung), and
    ``SKIP`` leaves the key alone (``NEKO_VP8=false``); a converter refuses a value it cannot honour
    by raising ``Invalid``. ``implies`` sets other keys too (dotted key -> text), as v2's password
    switches to the multiuser provider; ``refused`` stops start-up with that reason whatever the
    value. Several keys may share a name (v2's one ICE server list sets both of v3's). ``note`` says
    how the value maps, for docs/migrating.md.
    """

    name: str
    refused: str = ""
    convert: Callable[[Any, Any], Any] | None = None
    implies: Mapping[str, str] = dataclasses.field(default_factory=dict)
    yields: bool = False
    note: str = ""

    @property
    def env(self) -> str:
        return env_name(self.name)


@dataclass(frozen=True)
class Spec:
    doc: str
    parse: Callable[[Any], Any] | None = None  # text (env, flag, file) or a YAML value -> the value
    check: Check | None = None  # the parsed value -> a problem, or None
    cross_check: Check | None = None  # the whole configuration -> a problem with this key, or None
    secret: bool = False  # never shown in a message
    flag: str = ""  # a ``nekoapi serve`` option that sets the key, winning over every other source
    legacy: tuple[Legacy, ...] = ()
    shown: str | None = None  # the default as the table shows it, when the value's own text is not it
    fallback_env: str = ""  # an environment variable used while the key is empty (Neko's $DISPLAY rule)


def key(
    default: Any,
    doc: str,
    *,
    parse: Callable[[Any], Any] | None = None,
    check: Check | None = None,
    cross_check: Check | None = None,
    secret: bool = False,
    flag: str = "",
    legacy: tuple[Legacy, ...] = (),
    shown: str | None = None,
    fallback_env: str = "",
) -> Any:
    """One configuration key; its type is the field's annotation (parsed by it unless ``parse`` is given)."""
    spec = Spec(doc, parse, check, cross_check, secret, flag, legacy, shown, fallback_env)
    metadata = {SPEC: spec}
    if isinstance(default, dict | list):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def section(cls: type) -> Any:
    return dataclasses.field(default_factory=cls)


def spec_of(field: dataclasses.Field[Any]) -> Spec | None:
    return field.metadata.get(SPEC)


def env_name(dotted: str) -> str:
    return "NEKO_" + dotted.replace(".", "_").upper()
