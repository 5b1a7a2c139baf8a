"""Tag ``broadcast``: the room's RTMP broadcast (administrators only, by the spec's access rule)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import json, no_content, services


async def broadcast_status() -> Response:
    return json(services().broadcast.status())


async def broadcast_start(body: dict[str, Any]) -> Response:
    await services().broadcast.start(body.get("url") or "")
    return no_content()


async def broadcast_stop() -> Response:
    await services().broadcast.stop()
    return no_content()
