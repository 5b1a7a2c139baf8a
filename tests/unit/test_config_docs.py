"""The help text and the README describe exactly the keys the configuration has."""

from __future__ import annotations

from pathlib import Path

from nekoapi.cli import key_table, markdown_table
from nekoapi.config import keys
from nekoapi.configdoc import MEANING

README = Path(__file__).resolve().parents[2] / "README.md"
REGENERATE = 'regenerate with: .venv/bin/python -c "from nekoapi.cli import markdown_table; print(markdown_table())"'


def test_every_key_has_a_meaning_and_every_meaning_a_key() -> None:
    assert set(MEANING) == {k.dotted for k in keys()}


def test_readme_holds_the_current_table() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), REGENERATE


def test_help_names_every_key_once() -> None:
    table = key_table()
    for key in keys():
        assert table.count(f" {key.env} ") == 1, key.env
