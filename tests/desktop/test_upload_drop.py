"""uploadDrop: files dropped through XDND onto a test window and onto a page in Chromium; Neko's checks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.patience import REPLY

from .io_support import chromium, desktop_client, host, io_display, wait_for_title  # noqa: F401
from .xdnd_target import DropTarget

pytestmark = pytest.mark.desktop
DROP = "/api/room/upload/drop"
PAGE = Path(__file__).parent / "pages" / "drop.html"


@pytest.fixture
async def desk(io_display: str) -> AsyncIterator[ApiClient]:  # noqa: F811
    async with desktop_client(make_config(NEKO_SERVER_MAX_UPLOAD_SIZE=str(8 * 1024 * 1024)), io_display) as c:
        yield c


@pytest.fixture
def target(io_display: str) -> Iterator[DropTarget]:  # noqa: F811
    window = DropTarget(io_display, (50, 50, 400, 300))
    yield window
    window.close()


def form(x: object = 100, y: object = 120) -> dict[str, str]:
    fields = {}
    if x is not None:
        fields["x"] = str(x)
    if y is not None:
        fields["y"] = str(y)
    return fields


def paths_of(target: DropTarget) -> list[Path]:
    return [Path(unquote(urlparse(uri).path)) for uri in target.received.uris]


async def test_files_land_on_the_window_at_x_y(desk: ApiClient, target: DropTarget) -> None:
    me = await host(desk)
    big = os.urandom(3 * 1024 * 1024)
    files = [("files", ("notes.txt", b"hello drop")), ("files", ("photo one.bin", big))]
    response = await desk.post(DROP, data=form(100, 120), files=files, headers=me.bearer)
    assert response.status_code == 204, response.text
    assert target.received.done.wait(REPLY)
    assert (100, 120) in target.received.positions
    assert target.received.contents == {"notes.txt": b"hello drop", "photo one.bin": big}
    assert all(uri.startswith("file://") for uri in target.received.uris)
    directory = paths_of(target)[0].parent
    assert oct(directory.stat().st_mode & 0o777) == "0o700"  # private, unlike Neko's 0644 files in /tmp


async def test_the_files_are_removed_afterwards(desk: ApiClient, target: DropTarget) -> None:
    desk.app.services.uploads.keep_for = 0.3
    me = await host(desk)
    response = await desk.post(DROP, data=form(), files=[("files", ("gone.txt", b"x"))], headers=me.bearer)
    assert response.status_code == 204
    assert target.received.done.wait(REPLY)
    dropped = paths_of(target)[0]
    await asyncio.sleep(1.0)
    assert not dropped.exists() and not dropped.parent.exists()


async def test_same_names_do_not_overwrite_each_other(desk: ApiClient, target: DropTarget) -> None:
    me = await host(desk)
    files = [("files", ("a.txt", b"one")), ("files", ("dir/a.txt", b"two")), ("files", ("../../a.txt", b"three"))]
    assert (await desk.post(DROP, data=form(), files=files, headers=me.bearer)).status_code == 204
    assert target.received.done.wait(REPLY)
    assert target.received.contents == {"a.txt": b"one", "a (2).txt": b"two", "a (3).txt": b"three"}
    assert len({p.parent for p in paths_of(target)}) == 1  # base names only, in the private folder


async def test_a_window_that_refuses_is_409_and_the_files_go_at_once(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    refusing = DropTarget(io_display, (500, 50, 300, 200), accept=False)
    try:
        before = set(Path("/tmp").glob("nekoapi-upload-*"))
        me = await host(desk)
        response = await desk.post(DROP, data=form(600, 100), files=[("files", ("x", b"x"))], headers=me.bearer)
        assert response.status_code == 409  # the desktop's state, not the request
        assert response.json()["message"] == "the window at 600,100 did not accept the dropped files"
        assert set(Path("/tmp").glob("nekoapi-upload-*")) <= before
    finally:
        refusing.close()


async def test_nowhere_to_drop_is_409(desk: ApiClient) -> None:
    me = await host(desk)
    response = await desk.post(DROP, data=form(1200, 700), files=[("files", ("x", b"x"))], headers=me.bearer)
    assert response.status_code == 409
    assert response.json()["message"] == "no window at 1200,700 accepts dropped files"


@pytest.mark.parametrize(("x", "y"), [(-6469693231, -826), (70000, 5), (5, 2**40), (-1, 10)])
async def test_a_drop_off_the_screen_finds_no_window(desk: ApiClient, x: int, y: int) -> None:
    # Coordinates past X's 16 bits (schemathesis sent x=-6469693231) used to be a 500.
    me = await host(desk)
    response = await desk.post(DROP, data=form(x, y), files=[("files", ("x", b"x"))], headers=me.bearer)
    assert response.status_code == 409, response.text
    assert response.json()["message"] == f"no window at {x},{y} accepts dropped files"


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        (form(None, 5), [("files", ("f", b"1"))], "no X coordinate received"),
        (form(5, None), [("files", ("f", b"1"))], "no Y coordinate received"),
        (form(5, 5), [], "no files received"),
        (form(5, 5), [("other", ("f", b"1"))], "no files received"),
        (form("1.5", 5), [("files", ("f", b"1"))], "form field 'x' must be an integer"),
    ],
)
async def test_nekos_checks(desk: ApiClient, fields: dict[str, str], files: list, message: str) -> None:
    me = await host(desk)
    if not files:
        files = [("unrelated", ("", b""))]  # keeps it multipart
        fields = {**fields}
    response = await desk.post(DROP, data=fields, files=files, headers=me.bearer)
    assert response.status_code == 400
    assert response.json()["message"] == message


async def test_a_body_that_is_no_form_is_refused(desk: ApiClient) -> None:
    me = await host(desk)
    json_body = await desk.post(DROP, json={"x": 1}, headers=me.bearer)
    assert json_body.status_code == 415
    no_boundary = await desk.post(DROP, content=b"--x--", headers={**me.bearer, "Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400
    assert no_boundary.json()["message"].startswith("failed to parse multipart form")
    headers = {**me.bearer, "Content-Type": "multipart/form-data; boundary=zzz"}
    truncated = await desk.post(
        DROP, content=b'--zzz\r\nContent-Disposition: form-data; name="files"; filename="a"\r\n\r\nab', headers=headers
    )
    assert truncated.status_code == 400


async def test_an_upload_over_the_limit_is_413(io_display: str) -> None:  # noqa: F811
    async with desktop_client(make_config(NEKO_SERVER_MAX_UPLOAD_SIZE="4096"), io_display) as small:
        me = await host(small)
        response = await small.post(DROP, data=form(), files=[("files", ("big", b"x" * 5000))], headers=me.bearer)
        assert response.status_code == 413


async def test_drops_can_be_disabled(io_display: str) -> None:  # noqa: F811
    async with desktop_client(make_config(NEKO_DESKTOP_UPLOAD_DROP="false"), io_display) as off:
        me = await host(off)
        response = await off.post(DROP, data=form(), files=[("files", ("f", b"1"))], headers=me.bearer)
        assert response.status_code == 409
        assert response.json()["message"] == "upload drop is disabled"


async def test_a_page_in_chromium_gets_the_dropped_files(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    with chromium(io_display, PAGE) as browser:
        wait_for_title(browser.display, "drop-ready")
        me = await host(desk)
        files = [("files", ("report.pdf", b"%PDF-1.4 " + b"x" * 1000)), ("files", ("é t.txt", b"hi"))]
        response = await desk.post(DROP, data=form(400, 300), files=files, headers=me.bearer)
        assert response.status_code == 204, response.text
        assert wait_for_title(browser.display, "dropped:", 10) == "dropped:report.pdf=1009,é t.txt=2"
