"""Uploaded forms as the domain sees them: text fields, files stored in a private folder, and file names.

Parsed by the web layer (``web/multipart.py``, into a private 0700 folder) and
handed to the operations that take files (file transfer, drops onto the desktop,
the file chooser, the browser profile). Whoever takes a form removes its folder
(``Form.close``).

A file name the server accepts, in an upload or as a parameter, may hold no
control character (C0, DEL, C1) and no bidirectional formatting character
(marks, embeddings, overrides, isolates): a newline can forge a line in a
listing or a log, and U+202E shows ``cod.exe`` as ``exe.doc``.
``check_file_name`` is the one place that rule lives.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import errors

_BIDI_FORMATTING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass
class UploadedFile:
    field: str
    filename: str  # the base name the client gave, never a path
    path: Path
    size: int = 0
    given: str = ""  # the file name exactly as the client sent it (for checks stricter than safe_name)


@dataclass
class Form:
    directory: Path
    fields: dict[str, list[Any]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def value(self, name: str) -> Any:
        values = self.fields.get(name)
        return values[0] if values else None

    def files_of(self, name: str) -> list[UploadedFile]:
        return [f for f in self.files if f.field == name]

    def close(self) -> None:
        """Blocking: removes the folder and every file still in it."""
        shutil.rmtree(self.directory, ignore_errors=True)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)


def misleading_character(name: str) -> str | None:
    """The first character of ``name`` that may not appear in a file name, if any."""
    for char in name:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F or char in _BIDI_FORMATTING:
            return char
    return None


def check_file_name(name: str) -> None:
    """Raises ``BadFilename`` naming the first control or bidirectional character in ``name``."""
    char = misleading_character(name)
    if char is not None:
        kind = "bidirectional formatting" if char in _BIDI_FORMATTING else "control"
        raise errors.BadFilename(f"bad filename: it contains a {kind} character (U+{ord(char):04X})")


def safe_name(filename: str) -> str:
    """The base name only: no directory part, no dot names, no NUL."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return base if base not in ("", ".", "..") else "upload"


def free_path(directory: Path, name: str) -> Path:
    """All files of a form share one folder (a file chooser selects them together); equal names get a number."""
    path = directory / name
    number = 1
    while path.exists():
        number += 1
        path = directory / f"{Path(name).stem} ({number}){Path(name).suffix}"
    return path
