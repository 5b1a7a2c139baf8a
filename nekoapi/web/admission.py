"""Uploads admitted before their bodies are read: the caller's right first, then room in the in-flight bounds.

Connexion's validation reads a multipart body (web/multipart.py stores its files)
before the handler runs, so the operation's own check comes too late to spare the
disk. For every operation whose body is a multipart form (``OperationInfo.takes_files``)
the security step (access.py) admits a multipart body right after authentication
(a body of another type is refused by the validation, 415, without being read):

1. the domain says whether the caller may upload now (``RIGHTS``: the very method the
   operation calls again once the files are in; the rule itself stays in the domain);
2. the body's declared length is reserved against two bounds until the response is
   sent: per session (``server.upload_in_flight_per_session``, else 429) and for all
   sessions of this worker process (``server.upload_in_flight``, else 503). A body
   larger than a bound on its own could never be admitted: 413. A chunked body, of no
   declared length, counts as ``server.max_upload_size``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .. import errors
from ..sessions.session import Session

if TYPE_CHECKING:
    from ..services import Services

RightCheck = Callable[["Services", Session], None]


def _administrators_only(_services: Services, _caller: Session) -> None:
    """The spec's ``x-nekoapi-access: admin`` was enforced just before (access.py)."""


# Every operation that takes files, by operationId: what the caller must be allowed.
RIGHTS: dict[str, RightCheck] = {
    "filetransferUpload": lambda services, caller: services.plugins.filetransfer.check_upload(caller),
    "legacyFileUpload": lambda services, caller: services.plugins.filetransfer.check_upload(caller),
    "uploadDrop": lambda services, caller: services.uploads.check_drop(caller),
    "uploadDialog": lambda services, caller: services.uploads.check_dialog(caller),
    "browserProfileImport": _administrators_only,
}


def right_of(operation_id: str) -> RightCheck:
    """The check of an operation that takes files; one without is a start-up error, not an open door."""
    try:
        return RIGHTS[operation_id]
    except KeyError:
        raise LookupError(f"{operation_id} takes files but web/admission.py names no right for it") from None


class UploadsInFlight:
    """The bytes of upload bodies being received, per session and in all, against their bounds."""

    def __init__(self, per_session: int, in_all: int) -> None:
        self.per_session = per_session
        self.in_all = in_all
        self.total = 0
        self._by_session: dict[str, int] = {}

    @contextlib.contextmanager
    def held(self, session_id: str, size: int) -> Iterator[None]:
        """``size`` bytes reserved for ``session_id`` while the block runs; raises when they do not fit."""
        self._reserve(session_id, size)
        try:
            yield
        finally:
            self._release(session_id, size)

    def of(self, session_id: str) -> int:
        return self._by_session.get(session_id, 0)

    def _reserve(self, session_id: str, size: int) -> None:
        bound = min(self.per_session, self.in_all)
        if size > bound:
            raise errors.UploadTooLarge(f"upload is larger than {bound} bytes, the most that may be in flight")
        held = self.of(session_id)
        if held + size > self.per_session:
            raise errors.UploadsInFlight()
        if self.total + size > self.in_all:
            raise errors.ServerUploadsInFlight()
        self._by_session[session_id] = held + size
        self.total += size

    def _release(self, session_id: str, size: int) -> None:
        self.total -= size
        left = self.of(session_id) - size
        if left > 0:
            self._by_session[session_id] = left
        else:
            self._by_session.pop(session_id, None)


def carries_files(headers: list[tuple[bytes, bytes]]) -> bool:
    """A multipart body: anything else is refused (415) by the validation without being read."""
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"multipart/form-data") for name, value in headers
    )


def upload_length(headers: list[tuple[bytes, bytes]], max_upload_size: int) -> int:
    """The bytes to reserve: the declared length (digits: web/limits.py checked), else as many as may come.

    A chunked upload declares none; it counts as ``server.max_upload_size``, the most the
    multipart parser takes.
    """
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return max_upload_size
