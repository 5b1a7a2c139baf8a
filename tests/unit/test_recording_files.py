"""The recordings' directory: names that are refused, and the size and age limits (oldest first)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nekoapi import errors
from nekoapi.media.recording_files import RecordingDirectory


def made(directory: Path, name: str, size: int, age: float = 0.0) -> None:
    path = directory / name
    path.write_bytes(bytes(size))
    when = time.time() - age
    os.utime(path, (when, when))


def test_the_oldest_recordings_go_first_until_the_rest_fit_and_none_older_than_the_age_stays(tmp_path: Path) -> None:
    made(tmp_path, "room-20260101-000000.webm", 400)
    made(tmp_path, "room-20260101-000000-2.webm", 400)
    made(tmp_path, "room-20260102-000000.webm", 400)
    made(tmp_path, "notes.txt", 10_000)  # not a recording: never counted, never removed
    assert RecordingDirectory(str(tmp_path), 900, 0).prune() == ["room-20260101-000000.webm"]
    made(tmp_path, "room-20260103-000000.webm", 10, age=3600)
    removed = RecordingDirectory(str(tmp_path), 0, 60).prune()
    assert "room-20260103-000000.webm" in removed and (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "room-20260101-000000.webm/..", "notes.txt", "room-1.webm", ""])
def test_a_name_that_is_not_a_recordings_is_refused_before_any_path_is_made(tmp_path: Path, name: str) -> None:
    with pytest.raises(errors.RecordingNameInvalid):
        RecordingDirectory(str(tmp_path), 0, 0).file(name)
