"""The file transfer directory on disk: names that cannot leave it, listing, saving, deleting.

Blocking; the plugin runs these in a worker thread. A name is one file directly
in the root: absolute names, ``..``, control and bidirectional characters
(``nekoapi/forms.py``) are refused, other directory parts
are dropped (Neko keeps the basename), and symbolic links are never followed:
they are not listed, not served and not deleted, and an upload replaces a link
instead of writing through it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from .. import errors
from ..forms import check_file_name

TEMP_PREFIX = ".nekoapi-upload-"  # uploads in progress; never listed
CHUNK = 1024 * 1024


def safe_name(filename: str) -> str:
    """The basename a client's ``filename`` stands for; raises ``BadFilename``."""
    check_file_name(filename)
    unified = filename.replace("\\", "/")
    if not unified or "\x00" in unified or unified.startswith("/") or ".." in PurePosixPath(unified).parts:
        raise errors.BadFilename()
    name = PurePosixPath(unified).name
    if name in ("", ".", "..") or name.startswith(TEMP_PREFIX):
        raise errors.BadFilename()
    return name


def regular_file(root: Path, filename: str) -> Path:
    """The existing regular file (not a link, not a directory) ``filename`` names; raises ``FileNotFound``."""
    path = root / safe_name(filename)
    if path.is_symlink() or not path.is_file():
        raise errors.FileNotFound()
    return path


def list_files(root: Path) -> list[dict[str, Any]]:
    """Neko's list: ``{name, type: file|dir, size}`` (no size for directories), by name."""
    found: list[dict[str, Any]] = []
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_symlink() or entry.name.startswith(TEMP_PREFIX):
                continue
            if entry.is_dir(follow_symlinks=False):
                found.append({"name": entry.name, "type": "dir"})
            elif entry.is_file(follow_symlinks=False):
                found.append({"name": entry.name, "type": "file", "size": entry.stat(follow_symlinks=False).st_size})
    return sorted(found, key=lambda f: f["name"])


def check_target(root: Path, name: str) -> None:
    """An upload may replace a file or a link, never a directory."""
    target = root / name
    if target.is_dir() and not target.is_symlink():
        raise errors.BadFilename("bad filename: a directory has that name")


def move_in(root: Path, name: str, source: Path) -> None:
    """Move the uploaded ``source`` to ``root/name`` atomically: readers see the old file or the whole new one."""
    check_target(root, name)
    fd, temp = tempfile.mkstemp(dir=root, prefix=TEMP_PREFIX)
    os.close(fd)
    try:
        _take(source, Path(temp))
        os.chmod(temp, 0o644)
        os.replace(temp, root / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _take(source: Path, temp: Path) -> None:
    """A rename when both are on one file system, else a copy (the upload's folder is removed later)."""
    try:
        os.replace(source, temp)
    except OSError:
        with source.open("rb") as src, temp.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)


def delete(root: Path, filename: str) -> None:
    regular_file(root, filename).unlink()
