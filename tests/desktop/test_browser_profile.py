"""The browser's profile: it persists across restarts, and is reset, exported and imported through the API."""

from __future__ import annotations

import asyncio
import io
import tarfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from nekoapi.desktop.xserver import XServer

from ..support.client import ApiClient, api_client
from ..support.live import LiveServer
from .cdp_support import BROWSER_START, agent, bearer, browser_room, first_page, login
from .conftest import desktop_config
from .test_browser_setup import start_page_server

pytestmark = pytest.mark.desktop


async def stored_value(room: LiveServer, token: str, url: str, value: str | None = None) -> str | None:
    """localStorage["k"] of ``url`` in the room's browser, after setting it to ``value`` if given."""
    await wait_for_browser(room)
    async with agent(room, token) as browser:
        page = await first_page(browser)
        await page.goto(url)
        if value is not None:
            await page.evaluate("v => localStorage.setItem('k', v)", value)
        return await page.evaluate("localStorage.getItem('k')")  # type: ignore[no-any-return]


async def wait_for_browser(room: LiveServer) -> None:
    deadline = time.monotonic() + BROWSER_START
    while not room.app.services.automation.devtools.available():
        assert time.monotonic() < deadline, "the room's browser did not come back"
        await asyncio.sleep(0.1)


async def test_the_profile_persists_and_is_reset_exported_and_imported(x_server: XServer, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    with start_page_server() as url:
        with browser_room(x_server, profile) as room:
            assert await stored_value(room, login(room, "bot")["token"], url, "kept") == "kept"
        with browser_room(x_server, profile) as room:  # nekoapi restarted: the same profile
            admin = login(room, "bot")
            assert await stored_value(room, admin["token"], url) == "kept"
            async with httpx.AsyncClient(base_url=room.http_url, headers=bearer(admin), timeout=60) as client:
                exported = await client.get("/api/room/browser/profile")
                assert exported.status_code == 200 and exported.headers["content-type"] == "application/gzip"
                with tarfile.open(fileobj=io.BytesIO(exported.content)) as tar:
                    names = tar.getnames()
                assert "Default/Preferences" in names and not any("Singleton" in n for n in names)
                assert (await client.delete("/api/room/browser/profile")).status_code == 204
                assert await stored_value(room, admin["token"], url) is None  # a fresh profile
                archive = {"archive": ("profile.tar.gz", exported.content, "application/gzip")}
                assert (await client.post("/api/room/browser/profile", files=archive)).status_code == 204
                assert await stored_value(room, admin["token"], url) == "kept"  # back from the archive


def archive_of(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return out.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.fixture
async def admin_client(x_server: XServer, tmp_path: Path) -> AsyncIterator[ApiClient]:
    """No app (nothing to stop), a profile folder holding one file."""
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "Local State").write_text("{}")
    config = desktop_config(x_server, NEKO_DESKTOP_PROFILE=str(profile), NEKO_DESKTOP_PROFILE_MAX_SIZE="1000")
    async with api_client(config) as client:
        client.headers.update((await client.login_admin()).bearer)
        yield client


@pytest.mark.parametrize(
    ("archive", "status", "says"),
    [
        (archive_of((member("../escape"), b"x")), 400, "paths must stay inside the profile"),
        (archive_of((member("/etc/owned"), b"x")), 400, "paths must stay inside the profile"),
        (archive_of((member("Default/link", tarfile.SYMTYPE, "/etc/passwd"), b"")), 400, "no links"),
        (archive_of((member("Default/hard", tarfile.LNKTYPE, "Local State"), b"")), 400, "no links"),
        (archive_of((member("fifo", tarfile.FIFOTYPE), b"")), 400, "no links or devices"),
        (archive_of((member("a"), b"x" * 600), (member("b"), b"y" * 600)), 413, "desktop.profile_max_size"),
        (b"not an archive at all", 400, "not a tar archive"),
    ],
    ids=["traversal", "absolute", "symlink", "hardlink", "fifo", "too-large", "not-tar"],
)
async def test_a_bad_archive_is_refused_and_changes_nothing(
    admin_client: ApiClient, archive: bytes, status: int, says: str, tmp_path: Path
) -> None:
    reply = await admin_client.post("/api/room/browser/profile", files={"archive": ("p.tar.gz", archive)})
    assert reply.status_code == status and says in reply.json()["message"]
    profile = tmp_path / "profile"
    assert [p.name for p in profile.iterdir()] == ["Local State"]
    assert [p.name for p in tmp_path.iterdir()] == ["profile"]  # no staging folder left behind
    assert not Path("/etc/owned").exists()


async def test_an_import_replaces_the_profile_and_a_form_needs_its_archive(
    admin_client: ApiClient, tmp_path: Path
) -> None:
    missing = await admin_client.post("/api/room/browser/profile", files={"other": ("p", b"x")})
    assert missing.status_code == 400 and "archive" in missing.json()["message"]
    good = archive_of((member("Default", tarfile.DIRTYPE), b""), (member("Default/Preferences"), b"{}"))
    assert (await admin_client.post("/api/room/browser/profile", files={"archive": ("p", good)})).status_code == 204
    profile = tmp_path / "profile"
    assert sorted(str(p.relative_to(profile)) for p in profile.rglob("*")) == ["Default", "Default/Preferences"]
    assert (await admin_client.delete("/api/room/browser/profile")).status_code == 204
    assert list(profile.iterdir()) == []


async def test_only_administrators_manage_the_profile(admin_client: ApiClient) -> None:
    user = await admin_client.login_user()
    for method in ("GET", "DELETE"):
        reply = await admin_client.request(method, "/api/room/browser/profile", headers=user.bearer)
        assert reply.status_code == 403
