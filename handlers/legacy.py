"""Tag ``legacy``: Neko v2's HTTP paths, each answered by the room's own operation (the caller is
the ``?pwd=`` password's, see ``web/security.py``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi.web import legacy

from ._reply import caller, json, services
from .filetransfer import filetransfer_download, filetransfer_remove, filetransfer_upload
from .screen import screen_shot_image


async def legacy_stats(token_info: dict[str, Any]) -> Response:
    legacy.require_admin(caller(token_info))
    return json(legacy.stats(services().room, services().sessions))


async def legacy_screenshot(token_info: dict[str, Any], quality: int | None = None) -> Response:
    legacy.require_admin(caller(token_info))
    return await screen_shot_image(token_info, quality)


async def legacy_file_download(filename: str, token_info: dict[str, Any]) -> Response:
    return await filetransfer_download(filename, token_info)


async def legacy_file_upload(token_info: dict[str, Any]) -> Response:
    return await filetransfer_upload(token_info)


async def legacy_file_remove(filename: str, token_info: dict[str, Any]) -> Response:
    return await filetransfer_remove(filename, token_info)
