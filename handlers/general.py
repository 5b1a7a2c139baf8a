"""Tag ``general``: server-wide operations."""

from __future__ import annotations

from starlette.responses import Response

from ._reply import json, services


async def healthcheck() -> Response:
    return json(True)


async def stats() -> Response:
    return json(services().room.stats())
