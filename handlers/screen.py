"""Tag ``screen``: the desktop's screen (its size, screenshots, the screencast)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, services

# Every image is a new one: no cache may keep it.
NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}


async def screen_cast_image(token_info: dict[str, Any]) -> Response:
    image = await services().screencast.image(caller(token_info))
    return Response(image, media_type="image/jpeg", headers=NO_CACHE)
