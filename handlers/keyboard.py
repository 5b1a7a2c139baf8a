"""Tag ``keyboard``: the desktop keyboard's layout and lock modifiers."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, json, no_content, services


async def keyboard_map_get(token_info: dict[str, Any]) -> Response:
    return json(await services().desktop.keyboard_map(caller(token_info)))


async def keyboard_map_set(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    desktop = services().desktop
    await desktop.set_keyboard_map(caller(token_info), body.get("layout", ""), body.get("variant", ""))
    return no_content()


async def keyboard_modifiers_get(token_info: dict[str, Any]) -> Response:
    return json(await services().desktop.keyboard_modifiers(caller(token_info)))


async def keyboard_modifiers_set(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().desktop.set_keyboard_modifiers(caller(token_info), body)
    return no_content()
