"""Tag ``filetransfer``: Neko's file transfer plugin."""

from __future__ import annotations

from typing import Any

from starlette.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

from nekoapi.web.multipart import form_of
from nekoapi.web.state import request_scope

from ._reply import caller, no_content, services


class WholeFileResponse(FileResponse):
    """The whole file, always: the spec declares no partial (206) or range (416) answers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope.get("headers", []) if k not in (b"range", b"if-range")]
        if "accept-ranges" in self.headers:
            del self.headers["accept-ranges"]
        await super().__call__({**scope, "headers": headers}, receive, send)


async def filetransfer_download(filename: str, token_info: dict[str, Any]) -> Response:
    path = await services().plugins.filetransfer.download(caller(token_info), filename)
    return WholeFileResponse(path, filename=path.name, media_type="application/octet-stream")


async def filetransfer_upload(token_info: dict[str, Any]) -> Response:
    # The multipart validator stored the parts in a private folder; whatever is not moved goes with it.
    form = form_of(request_scope())
    try:
        await services().plugins.filetransfer.upload(caller(token_info), form.files_of("files"))
    finally:
        await form.aclose()
    return no_content()


async def filetransfer_remove(filename: str, token_info: dict[str, Any]) -> Response:
    await services().plugins.filetransfer.delete(caller(token_info), filename)
    return no_content()
