"""File names that could mislead (a newline, a right-to-left override...) are refused wherever the server takes one.

Uploads (file transfer, drop, file chooser, the browser profile's archive) and the
file transfer's ``?filename=`` get a 400 that names the character; nothing is stored.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from nekoapi.forms import misleading_character
from nekoapi.web.spec import _raw_spec
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config

BOUNDARY = b"names-boundary"
MISLEADING = {
    "newline": ("report\n2024.txt", "control character (U+000A)"),
    "tab": ("a\tb.txt", "control character (U+0009)"),
    "escape": ("a\x1b[31mb.txt", "control character (U+001B)"),
    "delete": ("a\x7fb.txt", "control character (U+007F)"),
    "C1 next line": ("a\x85b.txt", "control character (U+0085)"),
    "right-to-left override": ("invoice\u202efdp.exe", "bidirectional formatting character (U+202E)"),
    "left-to-right mark": ("a\u200eb.txt", "bidirectional formatting character (U+200E)"),
    "right-to-left isolate": ("a\u2067b.txt", "bidirectional formatting character (U+2067)"),
    "arabic letter mark": ("a\u061cb.txt", "bidirectional formatting character (U+061C)"),
}
CASES = pytest.mark.parametrize(("name", "problem"), MISLEADING.values(), ids=MISLEADING.keys())


def form(filename: str, field: str = "files", **fields: str) -> bytes:
    """A multipart body with the file name sent as it is (httpx would percent-encode controls)."""
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (BOUNDARY, k.encode(), v.encode())
        for k, v in fields.items()
    ]
    disposition = f'form-data; name="{field}"; filename="{filename}"'.encode()
    parts.append(b"--%s\r\nContent-Disposition: %s\r\n\r\nhello\r\n--%s--\r\n" % (BOUNDARY, disposition, BOUNDARY))
    return b"".join(parts)


async def post_form(client: ApiClient, path: str, who: Login, body: bytes) -> httpx.Response:
    headers = {**who.bearer, "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}"}
    return await client.post(path, content=body, headers=headers)


def refused_for(response: httpx.Response, problem: str) -> None:
    message = f"bad filename: it contains a {problem}"
    assert (response.status_code, response.json()) == (400, {"message": message, "code": 400})


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
async def ft(tmp_path: Path) -> AsyncIterator[ApiClient]:
    env = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(tmp_path / "shared")}
    async with api_client(make_config(**env)) as client:
        yield client


@CASES
async def test_an_upload_with_a_misleading_name_stores_nothing(
    ft: ApiClient, tmp_path: Path, temp_dir: Path, name: str, problem: str
) -> None:
    admin = await ft.login_admin()
    refused_for(await post_form(ft, "/api/filetransfer/", admin, form(name)), problem)
    assert list((tmp_path / "shared").iterdir()) == []
    assert list(temp_dir.iterdir()) == []  # the form's folder went with the refusal


@CASES
async def test_a_download_or_delete_of_a_misleading_name_is_refused(ft: ApiClient, name: str, problem: str) -> None:
    admin = await ft.login_admin()
    for method in ("GET", "DELETE"):
        refused_for(
            await ft.request(method, "/api/filetransfer/", params={"filename": name}, headers=admin.bearer), problem
        )


@pytest.mark.parametrize("path", ["/api/room/upload/drop", "/api/room/upload/dialog"])
async def test_the_desktop_uploads_refuse_them_too(path: str) -> None:
    """Refused as the form is read: before the desktop is asked (here there is none, which would be 503)."""
    async with api_client(make_config(NEKO_DESKTOP_FILE_CHOOSER_DIALOG="true")) as client:
        admin = await client.login_admin()
        await client.post("/api/room/control/request", headers=admin.bearer)
        name, problem = MISLEADING["right-to-left override"]
        refused_for(await post_form(client, path, admin, form(name, x="1", y="1")), problem)


async def test_the_profile_archive_is_refused_too(client: ApiClient) -> None:
    admin = await client.login_admin()
    name, problem = MISLEADING["newline"]
    refused_for(await post_form(client, "/api/room/browser/profile", admin, form(name, field="archive")), problem)


async def test_plain_names_pass_whatever_their_script(ft: ApiClient, tmp_path: Path) -> None:
    admin = await ft.login_admin()
    for name in ("report 2024.txt", "отчёт.pdf", "تقرير.txt", "報告.txt", "naïve café.md"):
        assert misleading_character(name) is None
        assert (await post_form(ft, "/api/filetransfer/", admin, form(name))).status_code == 204
        assert (tmp_path / "shared" / name).read_bytes() == b"hello"


def test_the_spec_declares_the_refusal_for_file_name_parameters() -> None:
    """Clients and contract tests read it from the spec: no name the server refuses matches the pattern."""
    schema = _raw_spec()["components"]["parameters"]["FileName"]["schema"]
    assert schema["x-nekoapi-file-name"] is True
    pattern = re.compile(schema["pattern"])
    assert not [name for name, _ in MISLEADING.values() if pattern.search(name)]
    assert all(pattern.search(name) for name in ("report 2024.txt", "отчёт.pdf", "報告.txt"))
