"""``filetransfer/update`` on real sockets: sent on connect, and whenever the shared directory changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_room_events import Room, open_room
from tests.support.factory import make_config
from tests.support.live import EventClient
from tests.support.patience import REPLY

UPDATE = "filetransfer/update"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "shared"


@pytest.fixture
async def room(root: Path) -> AsyncIterator[Room]:
    # A long rescan interval: what is seen within the test came from the directory watch.
    root.mkdir()
    env = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(root)}
    async for r in open_room(make_config(**env, NEKO_FILETRANSFER_REFRESH_INTERVAL="1h")):
        yield r


async def greeting(client: EventClient) -> dict:
    """The update sent on connect (after the session's own state, which joining waits for)."""
    assert UPDATE not in [m["event"] for m in client.seen]
    return await client.wait_for(UPDATE)


def names(update: dict) -> list[str]:
    return [f["name"] for f in update["files"]]


async def test_the_list_is_sent_on_connect(room: Room, root: Path) -> None:
    (root / "report.pdf").write_bytes(b"12345")
    (root / "folder").mkdir()
    expected = [{"name": "folder", "type": "dir"}, {"name": "report.pdf", "type": "file", "size": 5}]
    _, first_ws = await room.join("root", admin=True)
    await first_ws.send(UPDATE)  # a client's request rescans: the server's list is current after it
    await first_ws.wait_for(UPDATE, files=expected)

    _, admin_ws = await room.join("boss", admin=True)
    update = await greeting(admin_ws)
    assert update == {
        "enabled": True,
        "root_dir": str(root),
        "user_download": False,
        "user_upload": False,
        "user_delete": False,
        "files": expected,
    }


async def test_a_file_created_on_disk_is_announced_to_every_socket(room: Room, root: Path) -> None:
    _, admin_ws = await room.join("root", admin=True)
    _, other_ws = await room.join("boss", admin=True)
    for client in (admin_ws, other_ws):
        assert (await greeting(client))["files"] == []

    (root / "dropped.txt").write_bytes(b"hi")

    for client in (admin_ws, other_ws):
        update = await client.wait_for(UPDATE, timeout=REPLY)
        assert update["files"] == [{"name": "dropped.txt", "type": "file", "size": 2}]
    (root / "dropped.txt").unlink()
    assert (await admin_ws.wait_for(UPDATE, timeout=REPLY))["files"] == []


async def test_sessions_without_the_plugin_are_not_shown_the_files(room: Room, root: Path) -> None:
    (root / "private.txt").write_bytes(b"p")
    admin, admin_ws = await room.join("root", admin=True)
    settings = {"plugins": {"filetransfer.enabled": False}}
    assert (await admin.post("/api/room/settings", settings)).status_code == 204
    _, user_ws = await room.join("bob")
    update = await greeting(user_ws)
    assert update["enabled"] is False and update["files"] == []
    await admin_ws.send(UPDATE)  # administrators ignore the room's switch
    await admin_ws.wait_for(UPDATE, files=[{"name": "private.txt", "type": "file", "size": 1}])


async def test_an_upload_is_announced(room: Room, root: Path) -> None:
    admin, admin_ws = await room.join("root", admin=True)
    assert (await greeting(admin_ws))["files"] == []
    response = await room.http.post("/api/filetransfer/", files=[("files", ("up.txt", b"abc"))], headers=admin.bearer)
    assert response.status_code == 204
    update = await admin_ws.wait_for(UPDATE)
    assert names(update) == ["up.txt"]


async def test_without_a_watch_the_periodic_rescan_announces_changes(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_inotify(*args: object, **kwargs: object) -> AsyncIterator[object]:
        raise OSError("inotify watch limit reached")

    monkeypatch.setattr("nekoapi.plugins.filetransfer.watchfiles.awatch", no_inotify)
    root.mkdir()
    env = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(root)}
    async for room in open_room(make_config(**env, NEKO_FILETRANSFER_REFRESH_INTERVAL="1s")):
        _, admin_ws = await room.join("root", admin=True)
        assert (await greeting(admin_ws))["files"] == []
        (root / "late.txt").write_bytes(b"l")
        await admin_ws.wait_for(UPDATE, timeout=REPLY, files=[{"name": "late.txt", "type": "file", "size": 1}])
