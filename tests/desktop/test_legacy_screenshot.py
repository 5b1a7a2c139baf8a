"""Neko v2's /screenshot.jpg?pwd= on a real desktop: the screenshot operation's JPEG, for the v2
administrators' password."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from nekoapi.desktop.xserver import XServer
from tests.support.client import api_client

from .conftest import desktop_config

pytestmark = pytest.mark.desktop


async def test_the_v2_administrator_gets_the_screen_as_a_jpeg(x_server: XServer) -> None:
    async with api_client(desktop_config(x_server, NEKO_PASSWORD_ADMIN="v2-admin", NEKO_PASSWORD="v2-user")) as client:
        reply = await client.get("/screenshot.jpg", params={"pwd": "v2-admin", "quality": 50})
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"] == "image/jpeg"
        assert reply.headers["cache-control"] == "no-cache, no-store, must-revalidate"
        assert Image.open(io.BytesIO(reply.content)).size == (1280, 720)
        refused = await client.get("/screenshot.jpg", params={"pwd": "v2-user"})
        assert (refused.status_code, refused.json()["message"]) == (401, "bad authorization")
