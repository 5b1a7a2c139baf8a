"""Tag ``recording``: the room's recordings (ours; starting, stopping and the files: administrators)."""

from __future__ import annotations

from starlette.responses import Response

from nekoapi.web.ranges import RangedFileResponse

from ._reply import json, no_content, services


async def recording_status() -> Response:
    return json(services().recording.status())


async def recording_start() -> Response:
    await services().recording.start()
    return json(services().recording.status())


async def recording_stop() -> Response:
    await services().recording.stop()
    return json(services().recording.status())


async def recordings_list() -> Response:
    files = await services().recording.listing()
    return json([f.data() for f in files])


async def recording_download(name: str) -> Response:
    path = await services().recording.file(name)
    media_type = "video/webm" if name.endswith(".webm") else "video/mp4"
    return RangedFileResponse(path, filename=name, media_type=media_type, content_disposition_type="inline")


async def recording_remove(name: str) -> Response:
    await services().recording.delete(name)
    return no_content()
