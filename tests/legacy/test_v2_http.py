"""Neko v2's HTTP paths (/stats, /screenshot.jpg, /file?pwd=): a v2 password logs in for one request,
as Neko's legacy handler does, and each path answers what the room's own operation answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import EventClient, live_server

V2_ADMIN, V2_USER = "v2-admin-secret", "v2-user-secret"


def v2_config(root: Path, **env: str) -> Any:
    """A v2 deployment: its passwords and file transfer given by v2 names, the rest as tests run."""
    v2 = {"NEKO_PASSWORD": V2_USER, "NEKO_PASSWORD_ADMIN": V2_ADMIN, "NEKO_FILE_TRANSFER_ENABLED": "true"}
    return make_config(**{**v2, "NEKO_FILE_TRANSFER_PATH": str(root), **env})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "shared"


@pytest.fixture
async def v2(root: Path) -> AsyncIterator[ApiClient]:
    async with api_client(v2_config(root)) as client:
        yield client


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (status, {"message": message, "code": status})


# --- the password ---


async def test_the_v2_passwords_pick_administrator_and_user_as_neko_maps_them(v2: ApiClient) -> None:
    assert (await v2.get("/stats", params={"pwd": V2_ADMIN})).status_code == 200
    assert_error(await v2.get("/stats", params={"pwd": V2_USER}), 401, "bad authorization")
    # The v3 passwords the tests configure lose to the v2 names, as in Neko.
    assert_error(await v2.get("/stats", params={"pwd": ADMIN_PASSWORD}), 403, "wrong password")


async def test_a_wrong_or_missing_password_is_403_as_in_neko(v2: ApiClient) -> None:
    assert_error(await v2.get("/stats", params={"pwd": "nope"}), 403, "wrong password")
    assert_error(await v2.get("/stats"), 403, "wrong password")
    assert_error(await v2.get("/file", params={"filename": "a.txt"}), 403, "wrong password")
    assert_error(await v2.post("/file", files=[("files", ("a.txt", b"alpha"))]), 403, "wrong password")


async def test_a_session_token_is_not_a_v2_password(v2: ApiClient) -> None:
    admin = await v2.login("admin", V2_ADMIN)
    assert_error(await v2.get("/stats", headers=admin.bearer), 403, "wrong password")
    assert_error(await v2.get("/stats", params={"token": admin.token}), 403, "wrong password")


async def test_a_v2_request_creates_no_session(v2: ApiClient) -> None:
    admin = await v2.login("admin", V2_ADMIN)
    assert (await v2.get("/stats", params={"pwd": V2_ADMIN})).status_code == 200
    sessions = (await v2.get("/api/sessions", headers=admin.bearer)).json()
    assert [s["id"] for s in sessions] == [admin.id]


async def test_usr_names_the_member_for_a_provider_with_members(tmp_path: Path) -> None:
    config = make_config(NEKO_MEMBER_PROVIDER="sqlite", NEKO_MEMBER_SQLITE_PATH=str(tmp_path / "m.db"))
    async with api_client(config) as client:
        assert (await client.get("/stats", params={"usr": "admin", "pwd": ADMIN_PASSWORD})).status_code == 200
        assert_error(await client.get("/stats", params={"pwd": ADMIN_PASSWORD}), 403, "wrong password")
        assert_error(await client.get("/stats", params={"usr": "admin", "pwd": "x"}), 403, "wrong password")


async def test_guesses_are_throttled_like_logins(root: Path) -> None:
    config = v2_config(root, NEKO_SESSION_LOGIN_THROTTLE_FREE_ATTEMPTS="2")
    async with api_client(config) as client:
        for _ in range(3):  # the free attempts, then the one that starts the back-off
            assert (await client.get("/stats", params={"pwd": "guess"})).status_code == 403
        throttled = await client.get("/stats", params={"pwd": "guess"})
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
        # The right password waits too: the address is backing off.
        assert (await client.get("/stats", params={"pwd": V2_ADMIN})).status_code == 429


async def test_locked_logins_keep_users_out_of_the_v2_paths(root: Path) -> None:
    async with api_client(v2_config(root, NEKO_LOCKS="login", NEKO_FILETRANSFER_USER_DOWNLOAD="true")) as client:
        (root / "a.txt").write_bytes(b"alpha")
        refused = await client.get("/file", params={"pwd": V2_USER, "filename": "a.txt"})
        assert_error(refused, 403, "logins are locked for non-administrators")
        assert (await client.get("/file", params={"pwd": V2_ADMIN, "filename": "a.txt"})).content == b"alpha"


async def test_with_legacy_off_the_v2_paths_are_404(root: Path) -> None:
    async with api_client(make_config(NEKO_LEGACY="false")) as client:
        for method, path in (("GET", "/stats"), ("GET", "/screenshot.jpg"), ("DELETE", "/file?filename=a")):
            reply = await client.request(method, path, params={"pwd": ADMIN_PASSWORD})
            assert_error(reply, 404, "Neko's v2 API is off (legacy: false)")


# --- /stats ---


async def test_stats_in_neko_v2s_shape(v2: ApiClient) -> None:
    empty = (await v2.get("/stats", params={"pwd": V2_ADMIN})).json()
    assert empty["connections"] == 0 and empty["members"] == [] and empty["host"] == ""
    assert (empty["banned"], empty["locked"]) == ({}, {})
    assert (empty["last_admin_left_at"], empty["last_user_left_at"]) == (None, None)
    assert (empty["control_protection"], empty["implicit_control"]) == (False, False)
    admin = await v2.login("admin", V2_ADMIN)
    v3 = (await v2.get("/api/stats", headers=admin.bearer)).json()
    assert empty["server_started_at"] == v3["server_started_at"]


async def test_stats_list_connected_members_the_host_and_the_locks(root: Path) -> None:
    with live_server(v2_config(root)) as server:
        async with ApiClient(base_url=server.http_url) as http:
            admin, user = await http.login("alice", V2_ADMIN), await http.login("bob", V2_USER)
            sockets = [await EventClient.connect(server.ws_url(who.token)) for who in (admin, user)]
            try:
                for ws in sockets:
                    await ws.wait_for("system/init")
                assert (await http.post("/api/room/control/request", headers=admin.bearer)).status_code == 204
                changes = {"locked_logins": True, "implicit_hosting": True, "plugins": {"filetransfer.enabled": False}}
                assert (await http.post("/api/room/settings", headers=admin.bearer, json=changes)).status_code == 204
                stats = (await http.get("/stats", params={"pwd": V2_ADMIN})).json()
            finally:
                for ws in sockets:
                    await ws.close()
    assert stats["connections"] == 2 and stats["host"] == admin.id
    members = sorted(stats["members"], key=lambda m: m["displayname"])
    assert members == [
        {"id": admin.id, "displayname": "alice", "admin": True, "muted": False},
        {"id": user.id, "displayname": "bob", "admin": False, "muted": False},
    ]
    assert stats["locked"] == {"login": "", "file_transfer": ""}
    assert (stats["implicit_control"], stats["control_protection"]) == (True, False)


# --- /file ---


async def test_the_v2_client_uploads_lists_downloads_and_deletes_through_file(v2: ApiClient, root: Path) -> None:
    # As client/src/components/files.vue calls them: /file?pwd=<password>[&filename=<name>].
    uploaded = await v2.post("/file", params={"pwd": V2_ADMIN}, files=[("files", ("notes.txt", b"v2 notes"))])
    assert (uploaded.status_code, uploaded.content) == (204, b"")
    assert (root / "notes.txt").read_bytes() == b"v2 notes"
    got = await v2.get("/file", params={"pwd": V2_ADMIN, "filename": "notes.txt"})
    assert (got.status_code, got.content) == (200, b"v2 notes")
    assert got.headers["content-type"] == "application/octet-stream"
    removed = await v2.delete("/file", params={"pwd": V2_ADMIN, "filename": "notes.txt"})
    assert (removed.status_code, removed.content) == (204, b"")
    assert not (root / "notes.txt").exists()


async def test_a_user_needs_the_plugins_user_flags_as_on_the_v3_paths(v2: ApiClient, root: Path) -> None:
    (root / "a.txt").write_bytes(b"alpha")
    refused = await v2.get("/file", params={"pwd": V2_USER, "filename": "a.txt"})
    assert_error(refused, 403, "file download is not allowed for non-admin users")
    refused = await v2.post("/file", params={"pwd": V2_USER}, files=[("files", ("b.txt", b"beta"))])
    assert_error(refused, 403, "file upload is not allowed for non-admin users")
    assert not (root / "b.txt").exists()


async def test_a_user_with_the_flags_downloads_and_uploads(root: Path) -> None:
    flags = {"NEKO_FILETRANSFER_USER_DOWNLOAD": "true", "NEKO_FILETRANSFER_USER_UPLOAD": "true"}
    async with api_client(v2_config(root, **flags)) as client:
        sent = await client.post("/file", params={"pwd": V2_USER}, files=[("files", ("b.txt", b"beta"))])
        assert sent.status_code == 204
        assert (await client.get("/file", params={"pwd": V2_USER, "filename": "b.txt"})).content == b"beta"


async def test_file_with_the_plugin_off_is_refused(root: Path) -> None:
    async with api_client(v2_config(root, NEKO_FILE_TRANSFER_ENABLED="false")) as client:
        refused = await client.get("/file", params={"pwd": V2_ADMIN, "filename": "a.txt"})
        assert_error(refused, 403, "file transfer is disabled")
        refused = await client.post("/file", params={"pwd": V2_ADMIN}, files=[("files", ("a.txt", b"x"))])
        assert_error(refused, 403, "file transfer is disabled")


async def test_file_answers_the_plugins_own_refusals(v2: ApiClient) -> None:
    missing = await v2.get("/file", params={"pwd": V2_ADMIN, "filename": "none.txt"})
    assert missing.status_code == 404
    assert (await v2.delete("/file", params={"pwd": V2_ADMIN, "filename": "none.txt"})).status_code == 404
    assert (await v2.get("/file", params={"pwd": V2_ADMIN, "filename": "../etc/passwd"})).status_code == 400
    assert (await v2.get("/file", params={"pwd": V2_ADMIN})).status_code == 400  # no filename


# --- /screenshot.jpg (a real desktop: tests/desktop/test_legacy_screenshot.py) ---


async def test_screenshot_is_for_administrators(v2: ApiClient) -> None:
    assert_error(await v2.get("/screenshot.jpg", params={"pwd": V2_USER}), 401, "bad authorization")
    assert_error(await v2.get("/screenshot.jpg", params={"pwd": "nope"}), 403, "wrong password")
    # The tests run without an X server: the administrator gets the desktop's own 503.
    assert (await v2.get("/screenshot.jpg", params={"pwd": V2_ADMIN})).status_code == 503


async def test_the_v2_paths_sit_under_the_path_prefix_as_in_neko(root: Path) -> None:
    async with api_client(v2_config(root, NEKO_PATH_PREFIX="/neko")) as client:
        assert (await client.get("/neko/stats", params={"pwd": V2_ADMIN})).status_code == 200
        assert (await client.get("/stats", params={"pwd": V2_ADMIN})).status_code == 404
