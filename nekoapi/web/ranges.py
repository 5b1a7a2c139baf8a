"""A file answered whole (200) or in one byte range (206), with the spec's JSON error for a range past its end.

Starlette's ``FileResponse`` does the ranges; this keeps the answers to those the spec declares: a range
that starts past the end is 416 with an ``ErrorMessage`` body and ``Content-Range: bytes */size``, and a
malformed or multi-part ``Range`` is ignored (the whole file, as RFC 9110 allows).
"""

from __future__ import annotations

import os

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response
from starlette.types import Receive, Scope, Send

from .errors import error_body


class RangedFileResponse(FileResponse):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http_range = Headers(scope=scope).get("range")
        if http_range is not None:
            if self.stat_result is None:
                self.stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
                self.set_stat_headers(self.stat_result)
            size = self.stat_result.st_size
            try:
                ranges = self._parse_range_header(http_range, size)
            except MalformedRangeHeader:
                ranges = []
            except RangeNotSatisfiable:
                headers = {"Content-Range": f"bytes */{size}"}
                body = error_body(416, "the range starts past the end of the file")
                await Response(body, 416, headers, "application/json")(scope, receive, send)
                return
            if len(ranges) != 1:
                scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
        await super().__call__(scope, receive, send)
