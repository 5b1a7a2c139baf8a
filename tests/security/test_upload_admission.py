"""Uploads are admitted before their bodies are read: the caller's right, then the in-flight bounds.

A caller without the right is refused before a byte of the body reaches the disk;
uploads past ``server.upload_in_flight_per_session`` (429) or ``server.upload_in_flight``
(503) are refused while the ones in flight finish and are stored whole.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from nekoapi.web.admission import right_of
from nekoapi.web.spec import _raw_spec, operations
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config

MIB = 1024 * 1024
BOUNDARY = "nekoapi-test-boundary"
FILETRANSFER = "/api/filetransfer/"


def multipart(name: str, size: int, fields: dict[str, str] | None = None) -> tuple[bytes, bytes]:
    """The head (text fields and the file part's headers) and the tail of a form with one file of ``size`` bytes."""
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in (fields or {}).items()
    )
    head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n\r\n'.encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


class SlowBody:
    """A form streamed chunk by chunk; it can stop after its first chunk until ``resume`` is set."""

    def __init__(self, name: str, size: int, *, fields: dict[str, str] | None = None, pause: bool = False) -> None:
        self.head, self.tail = multipart(name, size, fields)
        self.size = size
        self.sent = 0  # chunks the server has asked for
        self.first_read = asyncio.Event()
        self.resume = asyncio.Event()
        if not pause:
            self.resume.set()

    @property
    def length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        for start in range(0, self.size, MIB):
            yield bytes([start // MIB % 251]) * min(MIB, self.size - start)
        yield self.tail

    @property
    def content(self) -> bytes:
        return b"".join(list(self.chunks())[1:-1])

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks():
            self.sent += 1
            if self.sent == 2:
                self.first_read.set()
                await self.resume.wait()
            yield chunk

    async def post(self, client: ApiClient, path: str, who: Login, *, chunked: bool = False) -> httpx.Response:
        headers = {**who.bearer, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        if not chunked:  # else httpx sends Transfer-Encoding: chunked, with no length declared
            headers["Content-Length"] = str(self.length)
        return await client.post(path, content=self.stream(), headers=headers)


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the server's multipart parser puts upload folders during the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def bytes_in(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class Watched(SlowBody):
    """Records the bytes in the temp folder each time the server asks for another chunk."""

    def __init__(self, folder: Path, name: str, size: int, **kwargs: object) -> None:
        super().__init__(name, size, **kwargs)  # type: ignore[arg-type]
        self.folder = folder
        self.seen: list[int] = []

    async def stream(self) -> AsyncIterator[bytes]:
        async for chunk in super().stream():
            self.seen.append(bytes_in(self.folder))
            yield chunk


def refused(response: httpx.Response, status: int, message: str) -> bool:
    return (response.status_code, response.json()) == (status, {"message": message, "code": status})


async def test_a_user_without_the_right_writes_nothing_to_disk(temp_dir: Path, tmp_path: Path) -> None:
    env = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(tmp_path / "shared")}
    async with api_client(make_config(**env)) as client:
        user = await client.login_user()
        body = Watched(temp_dir, "big.bin", 32 * MIB)
        response = await body.post(client, FILETRANSFER, user)
    assert refused(response, 403, "file upload is not allowed for non-admin users")
    # Refused on the headers: at most the first chunk was asked for, nothing reached the disk.
    assert body.sent <= 1, f"the server read {body.sent} chunks of a body it refused"
    assert body.seen in ([], [0]) and bytes_in(temp_dir) == 0


async def test_a_chunked_upload_is_not_read_before_the_right_is_checked(temp_dir: Path, tmp_path: Path) -> None:
    env = {"NEKO_FILETRANSFER_ENABLED": "true", "NEKO_FILETRANSFER_DIR": str(tmp_path / "shared")}
    async with api_client(make_config(**env)) as client:
        user = await client.login_user()
        body = Watched(temp_dir, "big.bin", 32 * MIB)
        response = await body.post(client, FILETRANSFER, user, chunked=True)
    assert refused(response, 403, "file upload is not allowed for non-admin users")
    assert body.sent <= 1, f"the server read {body.sent} chunks of a body it refused"
    assert bytes_in(temp_dir) == 0


async def test_a_v2_user_without_the_right_writes_nothing_to_disk(temp_dir: Path, tmp_path: Path) -> None:
    # Neko v2's /file?pwd= upload is admitted like the v3 one: the user's password, then the right.
    env = {
        "NEKO_PASSWORD": "v2-user",
        "NEKO_PASSWORD_ADMIN": "v2-admin",
        "NEKO_FILE_TRANSFER_ENABLED": "true",
        "NEKO_FILETRANSFER_DIR": str(tmp_path / "shared"),
    }
    async with api_client(make_config(**env)) as client:
        body = Watched(temp_dir, "big.bin", 32 * MIB)
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(body.length)}
        response = await client.post("/file", params={"pwd": "v2-user"}, content=body.stream(), headers=headers)
    assert refused(response, 403, "file upload is not allowed for non-admin users")
    assert body.sent <= 1, f"the server read {body.sent} chunks of a body it refused"
    assert bytes_in(temp_dir) == 0


@pytest.mark.parametrize("path", ["/api/room/upload/drop", "/api/room/upload/dialog"])
async def test_a_non_host_drops_or_fills_nothing_onto_the_disk(client: ApiClient, temp_dir: Path, path: str) -> None:
    user = await client.login_user()
    body = Watched(temp_dir, "big.bin", 32 * MIB, fields={"x": "1", "y": "1"})
    response = await body.post(client, path, user)
    assert refused(response, 403, "without implicit hosting, only host can upload files")
    assert body.sent <= 1 and bytes_in(temp_dir) == 0


def bounded(root: Path, per_session: int, in_all: int, **env: str) -> object:
    return make_config(
        **env,
        NEKO_FILETRANSFER_ENABLED="true",
        NEKO_FILETRANSFER_DIR=str(root),
        NEKO_FILETRANSFER_MAX_UPLOAD_SIZE=str(16 * MIB),
        NEKO_SERVER_UPLOAD_IN_FLIGHT_PER_SESSION=str(per_session),
        NEKO_SERVER_UPLOAD_IN_FLIGHT=str(in_all),
    )


async def start(client: ApiClient, body: SlowBody, who: Login) -> asyncio.Task[httpx.Response]:
    """An upload that is in flight: the server has begun reading its body, which then waits."""
    task = asyncio.create_task(body.post(client, FILETRANSFER, who))
    await body.first_read.wait()
    return task


async def test_past_the_session_bound_429_and_the_upload_in_flight_is_stored(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    async with api_client(bounded(root, per_session=5 * MIB, in_all=64 * MIB)) as client:
        admin = await client.login_admin()
        first = SlowBody("first.bin", 3 * MIB, pause=True)
        in_flight = await start(client, first, admin)

        second = SlowBody("second.bin", 3 * MIB)
        response = await second.post(client, FILETRANSFER, admin)
        assert refused(
            response, 429, "this session is already sending as many upload bytes as it may; retry when one is done"
        )
        assert second.sent <= 1

        other = await client.login_admin("other-admin")  # another session has a bound of its own
        assert (await SlowBody("other.bin", 3 * MIB).post(client, FILETRANSFER, other)).status_code == 204

        first.resume.set()
        assert (await in_flight).status_code == 204
        assert (root / "first.bin").read_bytes() == first.content
        # The bound is free again once the first upload is done.
        assert (await second.post(client, FILETRANSFER, admin)).status_code == 204
        assert (root / "second.bin").read_bytes() == second.content


async def test_past_the_server_bound_503(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    async with api_client(bounded(root, per_session=5 * MIB, in_all=5 * MIB)) as client:
        first_admin, second_admin = await client.login_admin(), await client.login_admin("other-admin")
        first = SlowBody("first.bin", 3 * MIB, pause=True)
        in_flight = await start(client, first, first_admin)

        response = await SlowBody("second.bin", 3 * MIB).post(client, FILETRANSFER, second_admin)
        assert refused(response, 503, "the server is receiving as many upload bytes as it may; retry later")

        first.resume.set()
        assert (await in_flight).status_code == 204
        assert (root / "first.bin").read_bytes() == first.content
        assert not (root / "second.bin").exists()


async def test_a_body_larger_than_the_bound_itself_is_413(tmp_path: Path, temp_dir: Path) -> None:
    async with api_client(bounded(tmp_path / "shared", per_session=2 * MIB, in_all=64 * MIB)) as client:
        admin = await client.login_admin()
        body = SlowBody("big.bin", 3 * MIB)
        response = await body.post(client, FILETRANSFER, admin)
    assert response.status_code == 413 and "the most that may be in flight" in response.json()["message"]
    assert body.sent <= 1 and bytes_in(temp_dir) == 0


def test_every_operation_that_takes_files_names_its_right() -> None:
    takes_files = {op for op, info in operations(_raw_spec()).items() if info.takes_files}
    uploads = {"filetransferUpload", "legacyFileUpload", "uploadDrop", "uploadDialog", "browserProfileImport"}
    assert takes_files == uploads
    assert {op: right_of(op) for op in takes_files}
    with pytest.raises(LookupError, match="names no right"):
        right_of("someNewUpload")


async def test_a_chunked_upload_counts_as_the_largest_upload(tmp_path: Path, temp_dir: Path) -> None:
    """No length declared: it holds server.max_upload_size of the bounds, and is cut off past that size."""
    root = tmp_path / "shared"
    config = bounded(root, per_session=6 * MIB, in_all=64 * MIB, NEKO_SERVER_MAX_UPLOAD_SIZE=str(4 * MIB))
    async with api_client(config) as client:
        admin = await client.login_admin()
        first = SlowBody("first.bin", 1 * MIB, pause=True)
        task = asyncio.create_task(first.post(client, FILETRANSFER, admin, chunked=True))
        await first.first_read.wait()
        second = SlowBody("second.bin", 1 * MIB)
        assert (await second.post(client, FILETRANSFER, admin, chunked=True)).status_code == 429
        assert (await second.post(client, FILETRANSFER, admin)).status_code == 204  # 1 MiB declared fits
        first.resume.set()
        assert (await task).status_code == 204
        assert (root / "first.bin").read_bytes() == first.content

        too_big = SlowBody("big.bin", 5 * MIB)
        response = await too_big.post(client, FILETRANSFER, admin, chunked=True)
        assert response.status_code == 413 and not (root / "big.bin").exists()
    assert bytes_in(temp_dir) == 0
