"""multipart/form-data bodies, parsed once as they stream in, for the upload operations.

Connexion's own form validator keeps the whole body in memory to replay it, and
its handler layer parses it a second time. This validator takes its place for
``multipart/form-data``: file parts are written straight to a private temporary
directory, text fields are checked against the operation's schema (integers
coerced), and the parsed ``Form`` is handed to the handler through the request
scope (``form_of``). Whoever takes the form removes its directory (``Form.close``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.validators import AbstractRequestBodyValidator
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import Receive, Scope

from .state import services_of

FORM_KEY = "nekoapi.multipart_form"
# Limits on what one form may hold (the whole body's size is server.max_upload_size).
MAX_PARTS = 100
MAX_FIELD_SIZE = 64 * 1024


@dataclass
class UploadedFile:
    field: str
    filename: str  # the base name the client gave, never a path
    path: Path
    size: int = 0
    given: str = ""  # the file name exactly as the client sent it (for checks stricter than safe_name)


@dataclass
class Form:
    directory: Path
    fields: dict[str, list[Any]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def value(self, name: str) -> Any:
        values = self.fields.get(name)
        return values[0] if values else None

    def files_of(self, name: str) -> list[UploadedFile]:
        return [f for f in self.files if f.field == name]

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def form_of(scope: Scope) -> Form:
    """The form the validator parsed for this request."""
    return scope["extensions"][FORM_KEY]  # type: ignore[no-any-return]


def safe_name(filename: str) -> str:
    """The base name only: no directory part, no dot names, no NUL."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    return base if base not in ("", ".", "..") else "upload"


def _free_path(directory: Path, name: str) -> Path:
    """All files of a form share one folder (a file chooser selects them together); equal names get a number."""
    path = directory / name
    number = 1
    while path.exists():
        number += 1
        path = directory / f"{Path(name).stem} ({number}){Path(name).suffix}"
    return path


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
        name = safe_name(given)
        self._file = UploadedFile(self._name, name, _free_path(self.form.directory, name), given=given)
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
            form.close()
            raise
        scope.setdefault("extensions", {})[FORM_KEY] = form
        return _empty_body(receive), scope

    async def _parse_stream(self, receive: Receive, scope: Scope) -> Form:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        _, options = parse_options_header(headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not boundary:
            raise BadRequestProblem(detail="failed to parse multipart form: no boundary")
        form = Form(Path(tempfile.mkdtemp(prefix="nekoapi-upload-")))
        os.chmod(form.directory, 0o700)
        collector = _Collector(form, services_of(scope).config.server.max_upload_size)
        try:
            await _feed(MultipartParser(boundary, collector.callbacks()), receive)
            collector.check_complete()
        except ProblemException:
            collector.abort()
            form.close()
            raise
        except Exception as exc:  # python-multipart raises several types on malformed input
            collector.abort()
            form.close()
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


async def _feed(parser: MultipartParser, receive: Receive) -> None:
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise BadRequestProblem(detail="failed to parse multipart form: the client went away")
        parser.write(message.get("body", b""))
        more = message.get("more_body", False)
    parser.finalize()


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
