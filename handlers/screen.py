"""Tag ``screen``: the desktop's screen size, the sizes on offer, and screenshots."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, json, services

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}
ECHOED = ("width", "height", "rate")


async def screen_configuration(token_info: dict[str, Any]) -> Response:
    return json(await services().desktop.screen_configuration(caller(token_info)))


async def screen_configuration_change(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    desktop = services().desktop
    await desktop.set_screen(caller(token_info), body["width"], body["height"], body.get("rate", 0))
    # Neko echoes the request, not the size applied (that goes out in screen/updated); unknown
    # fields are ignored, so they are not echoed either.
    return json({k: v for k, v in body.items() if k in ECHOED})


async def screen_configurations_list(token_info: dict[str, Any]) -> Response:
    return json(await services().desktop.screen_configurations(caller(token_info)))


async def screen_shot_image(token_info: dict[str, Any], quality: int | None = None) -> Response:
    image = await services().desktop.screenshot(caller(token_info), quality)
    return Response(image, media_type="image/jpeg", headers=NO_CACHE)


# --- screencast ---
async def screen_cast_image(token_info: dict[str, Any]) -> Response:
    image = await services().screencast.image(caller(token_info))
    return Response(image, media_type="image/jpeg", headers=NO_CACHE)
