"""docs/benchmarks.md holds one section per part of the benchmark, each between its own markers.

A run rewrites only its own section, so ``--only media`` keeps the HTTP figures of an earlier run.
"""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, begin: str, end: str, text: str) -> None:
    """Put ``text`` between ``begin`` and ``end`` in ``path``: in place, or appended when new."""
    block = f"{begin}\n{text}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        head, _, rest = old.partition(begin)
        new = head + block + rest.partition(end)[2]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
