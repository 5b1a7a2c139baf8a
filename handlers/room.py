"""Tag ``room``: room settings and control of the desktop."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi import errors
from nekoapi.desktop import guards

from ._reply import caller, json, no_content, services


async def settings_get() -> Response:
    return json(services().room.settings.to_dict())


async def settings_set(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().room.update_settings(caller(token_info), body)
    return no_content()


async def control_status(token_info: dict[str, Any]) -> Response:
    return json(services().room.control_status(caller(token_info)))


async def control_request(token_info: dict[str, Any]) -> Response:
    if await services().room.request_control(caller(token_info)):
        return no_content()
    return json({"code": 202, "message": "control request sent"}, status=202)  # Neko's own answer


async def control_release(token_info: dict[str, Any]) -> Response:
    await services().room.release_control(caller(token_info))
    return no_content()


async def control_take(token_info: dict[str, Any]) -> Response:
    await services().room.take_control(caller(token_info))
    return no_content()


async def control_give(session_id: str, token_info: dict[str, Any]) -> Response:
    await services().room.give_control(caller(token_info), session_id)
    return no_content()


async def control_reset(token_info: dict[str, Any]) -> Response:
    await services().room.reset_control(caller(token_info))
    return no_content()


async def media_socket(token_info: dict[str, Any]) -> Response:
    # Reached only without an upgrade: the WebSocket itself is served by nekoapi/web/mediasocket.py.
    guards.can_watch(caller(token_info))
    raise errors.UpgradeRequired()
