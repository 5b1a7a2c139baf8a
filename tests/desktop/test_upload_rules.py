"""Who may upload (Neko's Upload guard: the host, or anyone who may host while implicit hosting is on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.client import ApiClient
from tests.support.factory import make_config

from .io_support import desktop_client, host, io_display  # noqa: F401

pytestmark = pytest.mark.desktop
FORBIDDEN = (403, "without implicit hosting, only host can upload files")
# Dialogs are off: a caller who gets past the guard meets the "disabled" check (a 409) next.
PAST_THE_GUARD = (409, "file chooser dialog is disabled")


async def attempts(client: ApiClient, headers: dict[str, str]) -> list[tuple[int, str]]:
    files = [("files", ("f.txt", b"1"))]
    replies = [
        await client.post("/api/room/upload/drop", data={"x": "1", "y": "1"}, files=files, headers=headers),
        await client.post("/api/room/upload/dialog", files=files, headers=headers),
        await client.delete("/api/room/upload/dialog", headers=headers),
    ]
    return [(r.status_code, r.json()["message"]) for r in replies]


def config(**env: str) -> object:
    return make_config(NEKO_DESKTOP_UPLOAD_DROP="false", **env)


async def test_only_the_host_without_implicit_hosting(io_display: str) -> None:  # noqa: F811
    async with desktop_client(config(), io_display) as c:
        the_host = await host(c)
        other = await c.login_admin()  # even an administrator
        drop_off = (409, "upload drop is disabled")
        assert await attempts(c, the_host.bearer) == [drop_off, PAST_THE_GUARD, PAST_THE_GUARD]
        assert await attempts(c, other.bearer) == [FORBIDDEN] * 3


async def test_with_implicit_hosting_anyone_who_may_host(io_display: str) -> None:  # noqa: F811
    async with desktop_client(config(NEKO_SESSION_IMPLICIT_HOSTING="true"), io_display) as c:
        await host(c, "someone-else")
        user = await c.login_user("may-host")
        assert (await attempts(c, user.bearer))[1:] == [PAST_THE_GUARD, PAST_THE_GUARD]


async def test_with_implicit_hosting_but_no_can_host(io_display: str) -> None:  # noqa: F811
    env = {"NEKO_SESSION_IMPLICIT_HOSTING": "true", "NEKO_MEMBER_MULTIUSER_USER_PROFILE": '{"can_host": false}'}
    async with desktop_client(config(**env), io_display) as c:
        user = await c.login_user("no-host")
        assert await attempts(c, user.bearer) == [FORBIDDEN] * 3


async def test_private_mode_is_not_checked(io_display: str) -> None:  # noqa: F811
    env = {"NEKO_SESSION_IMPLICIT_HOSTING": "true", "NEKO_SESSION_PRIVATE_MODE": "true"}
    async with desktop_client(config(**env), io_display) as c:
        user = await c.login_user("private")
        assert (await attempts(c, user.bearer))[1:] == [PAST_THE_GUARD, PAST_THE_GUARD]


async def test_without_a_desktop_the_host_gets_503(client: ApiClient) -> None:
    admin = await client.login_admin()
    await client.post("/api/room/control/request", headers=admin.bearer)
    files = [("files", ("f.txt", b"1"))]
    response = await client.post("/api/room/upload/drop", data={"x": "1", "y": "1"}, files=files, headers=admin.bearer)
    assert (response.status_code, response.json()["message"]) == (503, "desktop is not available")


async def test_a_refused_upload_leaves_no_files(client: ApiClient) -> None:
    before = set(Path("/tmp").glob("nekoapi-upload-*"))
    user = await client.login_user()
    files = [("files", ("f.txt", b"1" * 10000))]
    response = await client.post("/api/room/upload/drop", data={"x": "1", "y": "1"}, files=files, headers=user.bearer)
    assert response.status_code == 403
    assert set(Path("/tmp").glob("nekoapi-upload-*")) <= before
