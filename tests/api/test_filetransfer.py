"""Neko's file transfer plugin over REST: who may list, download, upload and delete, and names that stay inside."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config

URL = "/api/filetransfer/"
ACTIONS = ("download", "upload", "delete")


def ft_config(root: Path, **env: str) -> dict[str, str]:
    return {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(root), **env}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "shared"


@pytest.fixture
async def ft(root: Path) -> AsyncIterator[ApiClient]:
    async with api_client(make_config(**ft_config(root))) as client:
        yield client


async def upload(client: ApiClient, who: Login, *parts: tuple[str, bytes]) -> httpx.Response:
    return await client.post(URL, files=[("files", part) for part in parts], headers=who.bearer)


async def download(client: ApiClient, who: Login, name: str) -> httpx.Response:
    return await client.get(URL, params={"filename": name}, headers=who.bearer)


async def delete(client: ApiClient, who: Login, name: str) -> httpx.Response:
    return await client.delete(URL, params={"filename": name}, headers=who.bearer)


def assert_refused(response: httpx.Response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, {"message": message, "code": status})


async def test_the_directory_is_created_at_start(ft: ApiClient, root: Path) -> None:
    assert root.is_dir()


async def test_an_administrator_uploads_downloads_and_deletes(ft: ApiClient, root: Path) -> None:
    admin = await ft.login_admin()
    assert (await upload(ft, admin, ("a.txt", b"alpha"), ("b.bin", b"\x00\x01"))).status_code == 204
    assert (root / "a.txt").read_bytes() == b"alpha" and (root / "b.bin").read_bytes() == b"\x00\x01"

    got = await download(ft, admin, "a.txt")
    assert got.status_code == 200 and got.content == b"alpha"
    assert got.headers["content-disposition"] == 'attachment; filename="a.txt"'
    # The same name again replaces the file as a whole.
    assert (await upload(ft, admin, ("a.txt", b"new"))).status_code == 204
    assert (await download(ft, admin, "a.txt")).content == b"new"

    assert (await delete(ft, admin, "a.txt")).status_code == 204
    assert not (root / "a.txt").exists()
    assert_refused(await delete(ft, admin, "a.txt"), 404, "file not found")
    assert_refused(await download(ft, admin, "a.txt"), 404, "file not found")


async def test_a_user_without_flags_may_do_nothing(ft: ApiClient, root: Path) -> None:
    (root / "x.txt").write_bytes(b"x")
    user = await ft.login_user()
    assert_refused(await download(ft, user, "x.txt"), 403, "file download is not allowed for non-admin users")
    assert_refused(await upload(ft, user, ("y.txt", b"y")), 403, "file upload is not allowed for non-admin users")
    assert_refused(await delete(ft, user, "x.txt"), 403, "file delete is not allowed for non-admin users")
    assert sorted(p.name for p in root.iterdir()) == ["x.txt"]


@pytest.mark.parametrize("allowed", ACTIONS)
async def test_each_user_flag_allows_its_action_only(root: Path, allowed: str) -> None:
    flag = {f"NEKO_FILETRANSFER_USER_{allowed.upper()}": "true"}
    async with api_client(make_config(**ft_config(root, **flag))) as ft:
        (root / "x.txt").write_bytes(b"x")
        user = await ft.login_user()
        calls = {
            "download": lambda: download(ft, user, "x.txt"),
            "upload": lambda: upload(ft, user, ("y.txt", b"y")),
            "delete": lambda: delete(ft, user, "x.txt"),
        }
        for action, call in calls.items():
            response = await call()
            if action == allowed:
                assert response.status_code in (200, 204), response.text
            else:
                assert_refused(response, 403, f"file {action} is not allowed for non-admin users")
        expected = {"download": ["x.txt"], "upload": ["x.txt", "y.txt"], "delete": []}[allowed]
        assert sorted(p.name for p in root.iterdir()) == expected


async def test_switched_off_it_refuses_everyone(root: Path) -> None:
    async with api_client(make_config(NEKO_FILETRANSFER_DIR=str(root))) as ft:
        admin = await ft.login_admin()
        assert_refused(await upload(ft, admin, ("a.txt", b"a")), 403, "file transfer is disabled")
        assert_refused(await download(ft, admin, "a.txt"), 403, "file transfer is disabled")
        assert not root.exists()


async def test_the_room_switches_it_off_for_users_not_administrators(ft: ApiClient, root: Path) -> None:
    (root / "x.txt").write_bytes(b"x")
    admin, user = await ft.login_admin(), await ft.login_user()
    settings = {"plugins": {"filetransfer.enabled": False}}
    assert (await ft.post("/api/room/settings", json=settings, headers=admin.bearer)).status_code == 204
    assert_refused(await download(ft, user, "x.txt"), 403, "file transfer is disabled")
    assert (await download(ft, admin, "x.txt")).status_code == 200


async def test_the_profile_switches_it_off_even_for_administrators(root: Path) -> None:
    profile = '{"plugins": {"filetransfer.enabled": false}}'
    async with api_client(make_config(**ft_config(root, NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE=profile))) as ft:
        admin = await ft.login_admin()
        assert_refused(await upload(ft, admin, ("a.txt", b"a")), 403, "file transfer is disabled")


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a/../../secret", "..", "sub/../..", "..\\secret"])
async def test_names_that_leave_the_root_are_refused(ft: ApiClient, root: Path, name: str) -> None:
    (root.parent / "secret").write_bytes(b"outside")
    admin = await ft.login_admin()
    # ?filename= must be a name, not a path (the spec's pattern); an upload part's name is checked by the plugin.
    for response in (await download(ft, admin, name), await delete(ft, admin, name)):
        assert response.status_code == 400
        assert "does not match" in response.json()["message"]
    assert_refused(await upload(ft, admin, (name, b"evil")), 400, "bad filename")
    assert (root.parent / "secret").read_bytes() == b"outside"
    assert list(root.iterdir()) == []


async def test_directory_parts_of_an_upload_are_dropped_as_neko_does(ft: ApiClient, root: Path) -> None:
    admin = await ft.login_admin()
    assert (await upload(ft, admin, ("sub/dir/kept.txt", b"k"))).status_code == 204
    assert [p.name for p in root.iterdir()] == ["kept.txt"]
    assert (await download(ft, admin, "kept.txt")).content == b"k"
    # ?filename= is a name, not a path (the spec's pattern): a directory part is refused there.
    assert (await download(ft, admin, "other/kept.txt")).status_code == 400


async def test_symbolic_links_are_never_followed(ft: ApiClient, root: Path) -> None:
    outside = root.parent / "outside.txt"
    outside.write_bytes(b"keep me")
    os.symlink(outside, root / "link.txt")
    admin = await ft.login_admin()
    assert_refused(await download(ft, admin, "link.txt"), 404, "file not found")
    assert_refused(await delete(ft, admin, "link.txt"), 404, "file not found")
    # An upload of that name replaces the link itself, never writes through it.
    assert (await upload(ft, admin, ("link.txt", b"new"))).status_code == 204
    assert outside.read_bytes() == b"keep me"
    assert not (root / "link.txt").is_symlink() and (root / "link.txt").read_bytes() == b"new"


async def test_too_many_files_are_refused_and_nothing_is_stored(root: Path) -> None:
    async with api_client(make_config(**ft_config(root, NEKO_FILETRANSFER_MAX_UPLOAD_FILES="2"))) as ft:
        admin = await ft.login_admin()
        response = await upload(ft, admin, ("a", b"a"), ("b", b"b"), ("c", b"c"))
        assert_refused(response, 413, "too many files in one upload (at most 2)")
        assert list(root.iterdir()) == []


async def test_files_over_the_upload_limit_are_refused_and_nothing_is_stored(root: Path) -> None:
    async with api_client(make_config(**ft_config(root, NEKO_FILETRANSFER_MAX_UPLOAD_SIZE="1000"))) as ft:
        admin = await ft.login_admin()
        assert (await upload(ft, admin, ("small", b"s" * 100))).status_code == 204
        response = await upload(ft, admin, ("a", b"a" * 600), ("b", b"b" * 600))
        assert_refused(response, 413, "upload is larger than 1000 bytes")
        assert [p.name for p in root.iterdir()] == ["small"]


async def test_a_body_over_the_server_upload_limit_is_refused_before_it_is_read(root: Path) -> None:
    async with api_client(make_config(**ft_config(root, NEKO_SERVER_MAX_UPLOAD_SIZE="1000"))) as ft:
        admin = await ft.login_admin()
        response = await upload(ft, admin, ("big", b"b" * 2000))
        assert_refused(response, 413, "request body is larger than 1000 bytes")
        assert list(root.iterdir()) == []


async def test_the_uploaded_parts_leave_no_temporary_folder(ft: ApiClient, root: Path) -> None:
    before = set(Path(tempfile.gettempdir()).glob("nekoapi-upload-*"))
    admin = await ft.login_admin()
    assert (await upload(ft, admin, ("kept.txt", b"k"))).status_code == 204
    assert_refused(await upload(ft, admin, ("..", b"evil")), 400, "bad filename")
    assert set(Path(tempfile.gettempdir()).glob("nekoapi-upload-*")) <= before
    assert [p.name for p in root.iterdir()] == ["kept.txt"]


async def test_uploads_may_be_larger_than_the_json_body_limit(root: Path) -> None:
    env = ft_config(root, NEKO_SERVER_MAX_BODY_SIZE="1000")
    async with api_client(make_config(**env)) as ft:
        admin = await ft.login_admin()
        assert (await upload(ft, admin, ("big", b"b" * 5000))).status_code == 204
        assert (root / "big").stat().st_size == 5000


async def test_an_upload_without_files_is_refused(ft: ApiClient) -> None:
    admin = await ft.login_admin()
    response = await ft.post(URL, data={"other": "field"}, files=[("note", ("n.txt", b"n"))], headers=admin.bearer)
    assert response.status_code == 400
    response = await ft.post(URL, json={"files": []}, headers=admin.bearer)
    assert response.status_code == 415
