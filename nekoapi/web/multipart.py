"""multipart/form-data bodies, parsed once as they stream in, for the upload operations.

Connexion's own form validator keeps the whole body in memory to replay it, and
its handler layer parses it a second time. This validator takes its place for
``multipart/form-data``: file parts are written straight to a private temporary
directory, text fields are checked against the operation's schema (integers
coerced), and the parsed ``Form`` (``nekoapi/forms.py``) is handed to the handler
through the request scope (``form_of``). Whoever takes the form removes its
directory (``Form.close``). A file name with a control or bidirectional character
is refused (400) before anything of that part is written. The parser, and so every
write to disk, runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.validators import AbstractRequestBodyValidator
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import Receive, Scope

from ..errors import NekoError
from ..forms import Form, UploadedFile, check_file_name, free_path, safe_name
from .state import services_of

FORM_KEY = "nekoapi.multipart_form"
# Limits on what one form may hold (the whole body's size is server.max_upload_size).
MAX_PARTS = 100
MAX_FIELD_SIZE = 64 * 1024


def form_of(scope: Scope) -> Form:
    """The form the validator parsed for this request."""
    return scope["extensions"][FORM_KEY]  # type: ignore[no-any-return]


class _Collector:
    """python-multipart callbacks that fill a ``Form``."""

    def __init__(self, form: Form, max_size: int) -> None:
        self.form = form
        self.max_size = max_size
        self.total = 0
        self.parts = 0
        self._headers: dict[str, str] = {}
        self._header = b""
        self._value = b""
        self._name = ""
        self._sink: BinaryIO | None = None
        self._buffer = bytearray()
        self._file: UploadedFile | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._add_header_field(d[s:e]),
            "on_header_value": lambda d, s, e: self._add_header_value(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": lambda d, s, e: self._data(d[s:e]),
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ProblemException(status=413, title="Payload Too Large", detail=f"more than {MAX_PARTS} form parts")
        self._headers, self._header, self._value = {}, b"", b""

    def _add_header_field(self, data: bytes) -> None:
        self._header += data

    def _add_header_value(self, data: bytes) -> None:
        self._value += data

    def _header_end(self) -> None:
        self._headers[self._header.decode("latin-1").lower()] = self._value.decode("latin-1")  # bytes kept as they came
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._buffer = bytearray()
        if filename is None:
            self._sink, self._file = None, None
            return
        given = filename.decode("utf-8", "replace")
        check_file_name(given)
        name = safe_name(given)
        self._file = UploadedFile(self._name, name, free_path(self.form.directory, name), given=given)
        self._sink = open(self._file.path, "wb")  # noqa: SIM115 (closed at the part's end)

    def _data(self, data: bytes) -> None:
        self.total += len(data)
        if self.total > self.max_size:
            raise ProblemException(
                status=413, title="Payload Too Large", detail=f"upload is larger than {self.max_size} bytes"
            )
        if self._sink is not None:
            self._sink.write(data)
            return
        self._buffer += data
        if len(self._buffer) > MAX_FIELD_SIZE:
            raise ProblemException(
                status=413,
                title="Payload Too Large",
                detail=f"form field {self._name!r} is larger than {MAX_FIELD_SIZE} bytes",
            )

    def _end(self) -> None:
        if self._sink is not None and self._file is not None:
            self._sink.close()
            self._file.size = self._file.path.stat().st_size
            self.form.files.append(self._file)
            self._sink = None
            return
        self.form.fields.setdefault(self._name, []).append(self._buffer.decode("utf-8", "replace"))

    def abort(self) -> None:
        if self._sink is not None:
            self._sink.close()

    def check_complete(self) -> None:
        if self._sink is not None:  # the body ended inside a file part
            raise ValueError("truncated body")


class MultipartValidator(AbstractRequestBodyValidator):
    """Connexion's body validator slot for ``multipart/form-data`` (see the module's docstring)."""

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        form = await self._parse_stream(receive, scope)
        try:
            self._coerce(form)
        except BadRequestProblem:
            await form.aclose()
            raise
        scope.setdefault("extensions", {})[FORM_KEY] = form
        return _empty_body(receive), scope

    async def _parse_stream(self, receive: Receive, scope: Scope) -> Form:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        _, options = parse_options_header(headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not boundary:
            raise BadRequestProblem(detail="failed to parse multipart form: no boundary")
        form = Form(Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nekoapi-upload-")))
        max_size = services_of(scope).config.server.max_upload_size
        collector = _Collector(form, max_size)
        try:
            await _feed(MultipartParser(boundary, collector.callbacks()), receive, max_size)
            collector.check_complete()
        except (ProblemException, NekoError):
            await _discard(collector, form)
            raise
        except Exception as exc:  # python-multipart raises several types on malformed input
            await _discard(collector, form)
            raise BadRequestProblem(detail=f"failed to parse multipart form: {type(exc).__name__}") from None
        return form

    def _coerce(self, form: Form) -> None:
        """Declared integer fields become ints; a value that is not one is a 400."""
        properties = self._schema.get("properties", {})
        for name, values in form.fields.items():
            if properties.get(name, {}).get("type") == "integer":
                form.fields[name] = [_integer(name, v) for v in values]


def _integer(name: str, value: str) -> int:
    text = value.strip()
    if not text.lstrip("+-").isdigit():
        raise BadRequestProblem(detail=f"form field {name!r} must be an integer")
    return int(text)


async def _feed(parser: MultipartParser, receive: Receive, max_size: int) -> None:
    """Each chunk is parsed (and its file data written) in a worker thread, off the event loop.

    The whole body counts against ``max_size``: a chunked one was not measured before (limits.py).
    """
    more, received = True, 0
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise BadRequestProblem(detail="failed to parse multipart form: the client went away")
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > max_size:
            raise ProblemException(
                status=413, title="Payload Too Large", detail=f"request body is larger than {max_size} bytes"
            )
        if chunk:
            await asyncio.to_thread(parser.write, chunk)
        more = message.get("more_body", False)
    await asyncio.to_thread(parser.finalize)


async def _discard(collector: _Collector, form: Form) -> None:
    def discard() -> None:
        collector.abort()
        form.close()

    await asyncio.to_thread(discard)


def _empty_body(receive: Receive) -> Receive:
    """The body was consumed by the parser; the handler layer sees an empty one."""
    sent = False

    async def receive_() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return receive_
