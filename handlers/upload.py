"""Tag ``upload``: files onto the desktop (Neko's api/room/upload.go)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi.web.multipart import form_of
from nekoapi.web.state import request_scope

from ._reply import caller, no_content, services


async def upload_drop(token_info: dict[str, Any]) -> Response:
    # The form was parsed (and its files stored) by the multipart validator; the manager removes them.
    await services().uploads.drop(caller(token_info), form_of(request_scope()))
    return no_content()


async def upload_dialog(token_info: dict[str, Any]) -> Response:
    await services().uploads.dialog(caller(token_info), form_of(request_scope()))
    return no_content()


async def upload_dialog_close(token_info: dict[str, Any]) -> Response:
    await services().uploads.dialog_close(caller(token_info))
    return no_content()
