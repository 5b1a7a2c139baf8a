"""The clipboard operations against a real X display, round-tripped with another X client (xclip)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from tests.support.client import ApiClient
from tests.support.factory import make_config

from .io_support import desktop_client, host, io_display, xclip, xclip_owner  # noqa: F401

pytestmark = pytest.mark.desktop
LARGE = 1536 * 1024  # above the 256 KiB one X request can carry: INCR both ways


@pytest.fixture
async def desk(io_display: str) -> AsyncIterator[ApiClient]:  # noqa: F811
    config = make_config(NEKO_SERVER_MAX_BODY_SIZE=str(4 * 1024 * 1024))
    async with desktop_client(config, io_display) as client:
        yield client


async def test_set_text_is_what_another_client_pastes(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    response = await desk.post("/api/room/clipboard", json={"text": "héllo wörld"}, headers=me.bearer)
    assert response.status_code == 204
    pasted = xclip(io_display, "-out", "-target", "UTF8_STRING")
    assert pasted.returncode == 0 and pasted.stdout.decode() == "héllo wörld"


async def test_text_copied_by_another_client_is_read(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    with xclip_owner(io_display, "UTF8_STRING", "copied ✓".encode()):
        response = await desk.get("/api/room/clipboard", headers=me.bearer)
    assert response.status_code == 200
    assert response.json() == {"text": "copied ✓"}


async def test_html_replaces_the_text_and_reads_back(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    html = "<b>bold</b> move"
    response = await desk.post("/api/room/clipboard", json={"text": "ignored", "html": html}, headers=me.bearer)
    assert response.status_code == 204
    assert xclip(io_display, "-out", "-target", "text/html").stdout.decode() == html
    # As Neko: a non-empty html sets only text/html.
    assert xclip(io_display, "-out", "-target", "UTF8_STRING").returncode != 0
    assert (await desk.get("/api/room/clipboard", headers=me.bearer)).json() == {"html": html}


async def test_html_copied_by_another_client_is_read(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    with xclip_owner(io_display, "text/html", b"<i>it</i>"):
        response = await desk.get("/api/room/clipboard", headers=me.bearer)
    assert response.json() == {"html": "<i>it</i>"}


async def test_a_png_copied_by_another_client_is_served(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 90)).save(buffer, "PNG")
    with xclip_owner(io_display, "image/png", buffer.getvalue()):
        response = await desk.get("/api/room/clipboard/image.png", headers=me.bearer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-cache, no-store, must-revalidate"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (64, 32) and image.getpixel((5, 5))[:3] == (200, 30, 90)


async def test_a_large_text_round_trips_both_ways(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    text = ("0123456789abcdef" * (LARGE // 16 + 1))[:LARGE]
    response = await desk.post("/api/room/clipboard", json={"text": text}, headers=me.bearer)
    assert response.status_code == 204
    pasted = xclip(io_display, "-out", "-target", "UTF8_STRING")
    assert len(pasted.stdout) == LARGE and pasted.stdout.decode() == text
    other = text[::-1]
    with xclip_owner(io_display, "UTF8_STRING", other.encode()):
        read = await desk.get("/api/room/clipboard", headers=me.bearer)
    assert read.json()["text"] == other


async def test_an_empty_clipboard_is_404(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    with xclip_owner(io_display, "UTF8_STRING", b"soon gone"):
        pass  # xclip owned and is gone: nobody owns CLIPBOARD now
    response = await desk.get("/api/room/clipboard", headers=me.bearer)
    assert response.status_code == 404
    assert response.json()["message"] == "clipboard holds no text"


async def test_text_is_no_image(desk: ApiClient) -> None:
    me = await host(desk)
    await desk.post("/api/room/clipboard", json={"text": "not a picture"}, headers=me.bearer)
    response = await desk.get("/api/room/clipboard/image.png", headers=me.bearer)
    assert response.status_code == 404
    assert response.json()["message"] == "clipboard holds no image/png"


async def test_a_set_replaces_the_previous_one(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    me = await host(desk)
    for text in ("first", "second"):
        await desk.post("/api/room/clipboard", json={"text": text}, headers=me.bearer)
    assert xclip(io_display, "-out").stdout == b"second"
    assert (await desk.get("/api/room/clipboard", headers=me.bearer)).json() == {"text": "second"}


async def test_an_unknown_field_is_ignored(desk: ApiClient, io_display: str) -> None:  # noqa: F811
    # As Neko's server (Go's decoder drops unknown fields), and as settings and members do here.
    me = await host(desk)
    response = await desk.post("/api/room/clipboard", json={"text": "kept", "texte": "typo"}, headers=me.bearer)
    assert response.status_code == 204, response.text
    assert xclip(io_display, "-out").stdout == b"kept"
