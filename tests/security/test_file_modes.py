"""The session file (ids, profiles, token digests) is readable by the server's user only."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.client import api_client
from tests.support.factory import make_config


def _modes(directory: Path) -> dict[str, int]:
    return {file.name: file.stat().st_mode & 0o777 for file in directory.iterdir()}


async def test_the_session_file_and_its_companions_are_private(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    previous = os.umask(0o022)  # the usual umask, which left the file 0644
    try:
        async with api_client(make_config(NEKO_SESSION_FILE=str(path))) as client:
            await client.login_admin()  # a write: the -wal and -shm files exist now
            modes = _modes(tmp_path)
    finally:
        os.umask(previous)
    assert {"sessions.db", "sessions.db-wal", "sessions.db-shm"} <= modes.keys()
    assert modes == dict.fromkeys(modes, 0o600), {name: oct(mode) for name, mode in modes.items()}


async def test_a_readable_file_left_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    async with api_client(make_config(NEKO_SESSION_FILE=str(path))) as client:
        await client.login_admin()
    for file in tmp_path.iterdir():
        file.chmod(0o644)
    async with api_client(make_config(NEKO_SESSION_FILE=str(path))) as client:
        await client.login_admin()
        modes = _modes(tmp_path)
    assert modes == dict.fromkeys(modes, 0o600), {name: oct(mode) for name, mode in modes.items()}
