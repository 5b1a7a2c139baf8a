"""The help text and the README are generated from the keys' declarations and describe every key."""

from __future__ import annotations

from nekoapi import configdoc
from nekoapi.config import keys

REGENERATE = "regenerate with: .venv/bin/python -m nekoapi.configdoc"


def test_the_readme_holds_the_current_table() -> None:
    readme = configdoc.README.read_text(encoding="utf-8")
    assert configdoc.with_table(readme) == readme, REGENERATE


def test_the_table_has_a_row_with_a_meaning_for_every_key() -> None:
    rows = configdoc.markdown_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{k.dotted}`" for k in keys()]
    assert all(row.split(" | ")[3].strip(" |") for row in rows)


def test_help_names_every_key_once() -> None:
    table = configdoc.key_table()
    for key in keys():
        assert table.count(f" {key.env} ") == 1, key.env


def test_regenerating_replaces_an_old_table_between_the_markers() -> None:
    stale = f"intro\n{configdoc.TABLE_START}\n| old | table |\n{configdoc.TABLE_END}\noutro\n"
    fresh = configdoc.with_table(stale)
    assert fresh.startswith("intro\n") and fresh.endswith(f"{configdoc.TABLE_END}\noutro\n")
    assert "| old | table |" not in fresh and configdoc.markdown_table() in fresh
