"""``server.static``: an operator's folder (Neko's built client, say) served at ``/`` on the API's origin,
with the page's security headers, never a file outside the folder, and the API still answering its own paths."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.factory import make_config
from tests.support.live import LiveServer, live_server
from tests.support.patience import REPLY

SECRET = "outside-the-folder"
INDEX = "<!doctype html><title>n.eko</title><div id=neko></div>"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A built client: index.html, a script, a sub-folder with its own index; a secret next to it."""
    www = tmp_path / "www"
    (www / "js").mkdir(parents=True)
    (www / "help").mkdir()
    (www / "index.html").write_text(INDEX)
    (www / "js" / "app.js").write_text("console.log('neko')")
    (www / "help" / "index.html").write_text("help page")
    (tmp_path / "secret.txt").write_text(SECRET)
    (www / "link.txt").symlink_to(tmp_path / "secret.txt")  # a link out of the folder
    return www


@pytest.fixture
def served(folder: Path) -> Iterator[LiveServer]:
    with live_server(make_config(NEKO_SERVER_STATIC=str(folder))) as server:
        yield server


def raw_get(server: LiveServer, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written: httpx would resolve the ``..`` itself before sending."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=REPLY) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


async def test_the_folder_is_served_at_root_with_the_pages_security_headers(served: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=served.http_url) as http:
        index = await http.get("/")
        assert (index.status_code, index.text) == (200, INDEX)
        assert index.headers["content-type"].startswith("text/html")
        assert index.headers["x-frame-options"] == "DENY"
        assert index.headers["x-content-type-options"] == "nosniff"
        assert index.headers["referrer-policy"] == "no-referrer"
        assert index.headers["cache-control"] == "no-cache"
        assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
        script = await http.get("/js/app.js")
        assert script.text == "console.log('neko')" and "javascript" in script.headers["content-type"]
        head = await http.head("/js/app.js")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "19")
        # A folder answers with its index.html, reached by its name with a trailing slash.
        moved = await http.get("/help")
        assert (moved.status_code, moved.headers["location"]) == (301, "help/")
        assert (await http.get("/help/")).text == "help page"
        missing = await http.get("/js/missing.js")
        assert (missing.status_code, missing.json()) == (404, {"message": "not found", "code": 404})
        assert missing.headers["x-frame-options"] == "DENY"


async def test_the_api_keeps_its_paths_and_other_methods(served: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=served.http_url) as http:
        assert (await http.get("/health")).text == "true"
        whoami = await http.get("/api/whoami")
        assert (whoami.status_code, whoami.json()["code"]) == (401, 401)
        assert (await http.get("/api/nothing-here")).json()["code"] == 404  # the API, not the folder
        posted = await http.post("/", content=b"x")
        assert posted.headers["content-type"] == "application/json" and posted.status_code in (404, 405)


@pytest.mark.parametrize(
    "target",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/js/../../secret.txt", "/js/%2E%2E/%2e%2e/secret.txt", "/link.txt"],
)
def test_no_path_reaches_a_file_outside_the_folder(served: LiveServer, target: str) -> None:
    status, answer = raw_get(served, target)
    assert status == 404
    assert SECRET.encode() not in answer


def test_a_folder_without_an_index_is_not_listed(served: LiveServer, folder: Path) -> None:
    status, answer = raw_get(served, "/js/")
    assert status == 404 and b"app.js" not in answer


async def test_without_a_folder_root_is_the_rooms_page() -> None:
    with live_server(make_config()) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            page = await http.get("/")
            assert "default-src 'none'" in page.headers["content-security-policy"]
            assert (await http.get("/js/app.js")).status_code == 404


async def test_the_folder_sits_below_the_path_prefix(folder: Path) -> None:
    with live_server(make_config(NEKO_SERVER_STATIC=str(folder), NEKO_SERVER_PATH_PREFIX="/neko")) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            assert (await http.get("/neko/")).text == INDEX
            assert (await http.get("/neko/js/app.js")).status_code == 200
            assert (await http.get("/neko/help")).headers["location"] == "help/"  # relative: keeps the prefix
            assert (await http.get("/js/app.js")).status_code == 404
