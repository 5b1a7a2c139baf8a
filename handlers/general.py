"""Tag ``general``: server-wide operations."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi.metrics import CONTENT_TYPE
from nekoapi.web.batch import run_batch
from nekoapi.web.state import request_scope

from ._reply import json, services


async def healthcheck() -> Response:
    await services().health()
    return json(True)


async def metrics() -> Response:
    return Response(services().metrics_text(), media_type=CONTENT_TYPE)


async def batch(body: list[dict[str, Any]]) -> Response:
    return json(await run_batch(request_scope(), body))


async def stats() -> Response:
    return json(services().room.stats())
