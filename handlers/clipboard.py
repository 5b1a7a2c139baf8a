"""Tag ``clipboard``: the desktop's clipboard (Neko's api/room/clipboard.go)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, json, no_content, services

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}


async def clipboard_get_text(token_info: dict[str, Any]) -> Response:
    return json(await services().clipboard.get_text(caller(token_info)))


async def clipboard_set_text(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().clipboard.set_text(caller(token_info), body.get("text"), body.get("html"))
    return no_content()


async def clipboard_get_image(token_info: dict[str, Any]) -> Response:
    image = await services().clipboard.get_image(caller(token_info))
    return Response(image, media_type="image/png", headers=NO_CACHE)
