"""The configuration table of ``nekoapi serve --help`` and of the README, and the table of Neko v2's
names in docs/migrating.md, generated from the declarations.

``python -m nekoapi.configdoc`` rewrites both tables in place; a test fails while a document holds
another one, so the documentation cannot fall behind the keys.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from .config import Key, keys
from .configkeys.v2 import SWITCH

README = Path(__file__).resolve().parents[1] / "README.md"
MIGRATING = README.parent / "docs" / "migrating.md"
TABLE_START = "<!-- configuration table: written by `python -m nekoapi.configdoc`, checked by a test -->"
TABLE_END = "<!-- end of the configuration table -->"
V2_START = "<!-- v2 names: written by `python -m nekoapi.configdoc`, checked by a test -->"
V2_END = "<!-- end of the v2 names -->"


def show_default(key: Key) -> str:
    """A key's default as an operator would type it."""
    if key.spec.shown is not None:
        return key.spec.shown
    value: Any = key.default
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    if isinstance(value, float) and value.is_integer():
        seconds = int(value)
        return f"{seconds // 3600}h" if seconds and seconds % 3600 == 0 else f"{seconds}s"
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return str(value)


def key_table() -> str:
    """The epilogue of ``nekoapi serve --help``."""
    rows = [(k.dotted, k.env, show_default(k) or '""', k.doc) for k in keys()]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"  {d:<{width[0]}}  {e:<{width[1]}}  {v:<{width[2]}}  {m}" for d, e, v, m in rows]
    return "configuration keys (file key, environment variable, default, meaning):\n" + "\n".join(lines)


def markdown_table() -> str:
    """The README's configuration table."""
    rows = [f"| `{k.dotted}` | `{k.env}` | {_md_default(k)} | {_md_meaning(k)} |" for k in keys()]
    return "\n".join(["| file key | environment variable | default | meaning |", "|---|---|---|---|", *rows])


def _md_default(key: Key) -> str:
    shown = show_default(key)
    return f"`{shown}`" if shown else "(empty)"


def _md_meaning(key: Key) -> str:
    flag = f" (`nekoapi serve {key.spec.flag}`)" if key.spec.flag else ""
    return key.doc.replace("|", "\\|") + flag


def v2_table() -> str:
    """Neko v2's names, each with the v3 key(s) it sets (or none) and how its value maps."""
    maps: dict[str, list[tuple[Key, str]]] = {}
    for k in keys():
        for legacy in k.spec.legacy:
            maps.setdefault(legacy.env, []).append((k, legacy.refused or legacy.note))
    rows = [_v2_row(env, targets) for env, targets in sorted(maps.items())]
    return "\n".join(["| v2 name | sets | how |", "|---|---|---|", *rows])


def _v2_row(env: str, targets: list[tuple[Key, str]]) -> str:
    sets = ", ".join(f"`{k.env}`" for k, _ in targets if k.dotted != SWITCH) or "nothing"
    notes = "; ".join(dict.fromkeys(note for _, note in targets if note)) or "as it is"
    return f"| `{env}` | {sets} | {notes.replace('|', chr(92) + '|')} |"


def with_table(readme: str) -> str:
    """``readme`` with the text between the table's markers replaced by the current table."""
    return _between(readme, TABLE_START, TABLE_END, markdown_table(), "the README")


def with_v2_table(document: str) -> str:
    """docs/migrating.md with its table of v2 names replaced by the current one."""
    return _between(document, V2_START, V2_END, v2_table(), "docs/migrating.md")


def _between(document: str, first: str, last: str, table: str, what: str) -> str:
    head, start, rest = document.partition(first)
    _, end, tail = rest.partition(last)
    if not (start and end):
        raise ValueError(f"{what} has no table markers ({first!r} ... {last!r})")
    return f"{head}{start}\n{table}\n{end}{tail}"


def main() -> int:
    for path, rewrite in ((README, with_table), (MIGRATING, with_v2_table)):
        before = path.read_text(encoding="utf-8")
        after = rewrite(before)
        if after != before:
            path.write_text(after, encoding="utf-8")
        print(f"{path}: table {'rewritten' if after != before else 'already current'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
