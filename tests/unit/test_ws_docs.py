"""docs/room.md, docs/migrating.md and the WebSocket declarations (spec/openapi.yaml x-websocket,
x-websocket-v2) say the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nekoapi.ws.declared import TABLE_DOCUMENTS, V2_INDEX, V3_INDEX, declaration, tables

DOCS = Path(__file__).resolve().parents[2] / "docs"
ROOM = DOCS / "room.md"
EVENT = re.compile(r"`([a-z_]+/[a-z_]+)")  # `control/move` or `control/move {x, y}`


@pytest.mark.parametrize("index_name", [V3_INDEX, V2_INDEX])
def test_the_event_tables_are_generated_from_the_declaration(index_name: str) -> None:
    """Every declared event is documented (v3's in docs/room.md, v2's in docs/migrating.md); regenerate
    with `python -m nekoapi.ws.declared --write-tables`."""
    name, begin, end = TABLE_DOCUMENTS[index_name]
    text = (DOCS / name).read_text(encoding="utf-8")
    start = text.index("\n", text.index(begin)) + 1
    assert text[start : text.index(end)] == tables(index_name)


def test_every_event_the_room_document_tabulates_is_declared() -> None:
    declared = declaration().client.keys() | declaration().server.keys()
    named = set()
    for line in ROOM.read_text(encoding="utf-8").splitlines():
        if line.startswith("| "):
            named |= set(EVENT.findall(line.split("|")[1]))
    assert named, "no event found in docs/room.md's tables"
    assert named - declared == set()
