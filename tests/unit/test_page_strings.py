"""The room's page keeps every string in one table (web/static/strings.js): each language has every
key, and every key the page uses (t("...") in its modules, data-t* in index.html) is in the table."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).parents[2] / "nekoapi" / "web" / "static"


def languages() -> dict[str, set[str]]:
    source = (STATIC / "strings.js").read_text()
    blocks = re.findall(r"^  (\w+): \{\n(.*?)^  \},", source, re.S | re.M)
    # Panels may add their strings in blocks of their own after the table: Object.assign(TABLE.en, {...}).
    blocks += re.findall(r"^Object\.assign\(TABLE\.(\w+), \{\n(.*?)^\}\);", source, re.S | re.M)
    keys: dict[str, set[str]] = {}
    for name, body in blocks:
        keys.setdefault(name, set()).update(re.findall(r"(\w+): \"", body))
    return keys


def used() -> set[str]:
    keys = set()
    for module in STATIC.glob("*.js"):
        keys |= set(re.findall(r"\bt\(\"(\w+)\"", module.read_text()))
    keys |= set(re.findall(r'data-t(?:-label|-placeholder)?="(\w+)"', (STATIC / "index.html").read_text()))
    return keys


def test_every_language_has_every_key() -> None:
    table = languages()
    assert set(table) == {"en", "de"}
    assert table["en"] == table["de"], table["en"] ^ table["de"]


def test_every_key_the_page_uses_is_in_the_table() -> None:
    keys = used()
    assert len(keys) > 40  # the pattern finds the page's uses
    assert keys <= languages()["en"], keys - languages()["en"]
