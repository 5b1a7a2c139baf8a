"""Neko's file transfer plugin: a shared directory that sessions list, download, upload and delete.

Each worker watches the directory (inotify through watchfiles, and a rescan every
``refresh_interval`` in case the watch misses something or cannot start) and tells
its own sockets when the list changes, with ``filetransfer/update``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import watchfiles

from .. import errors
from ..config import FileTransferConfig
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import RoomPart
from . import files
from .permissions import allowed

log = logging.getLogger(__name__)

FILETRANSFER_UPDATE = "filetransfer/update"
T = TypeVar("T")


class Upload(Protocol):
    """An uploaded part stored on disk (``nekoapi.forms.UploadedFile``)."""

    filename: str  # the base name
    given: str  # the name as the client sent it
    path: Path
    size: int


class FileTransfer(RoomPart):
    def __init__(self, config: FileTransferConfig, sessions: SessionManager) -> None:
        self.config = config
        self.root = Path(config.dir)
        self._sessions = sessions
        self._files: list[dict[str, Any]] = []
        self._tasks: list[asyncio.Task[None]] = []

    # --- who may do what ---

    def enabled_for(self, session: Session) -> bool:
        return self.config.enabled and allowed(session, self._sessions.settings, "filetransfer.enabled")

    def _guard(self, session: Session, action: str, user_flag: bool) -> None:
        if not self.enabled_for(session):
            raise errors.FileTransferDisabled()
        if not (session.profile.is_admin or user_flag):
            raise errors.FileTransferForbidden.of(action)

    # --- REST ---

    async def download(self, session: Session, filename: str) -> Path:
        self._guard(session, "download", self.config.user_download)
        return await self._disk(files.regular_file, self.root, filename)

    def check_upload(self, session: Session) -> None:
        """Whether ``session`` may upload; the web layer asks before it reads the files."""
        self._guard(session, "upload", self.config.user_upload)

    async def upload(self, session: Session, uploads: Sequence[Upload]) -> None:
        """Move the form's files into the directory; the caller closes the form (its leftovers go with it)."""
        self.check_upload(session)
        names = self._check_upload(uploads)
        for name, upload in zip(names, uploads, strict=True):
            await self._disk(files.move_in, self.root, name, upload.path)
        await self.refresh()

    def _check_upload(self, uploads: Sequence[Upload]) -> list[str]:
        """Everything is checked before anything is stored: the names, then the limits."""
        if not uploads:
            raise errors.NoFilesUploaded()
        names = [files.safe_name(upload.given or upload.filename) for upload in uploads]
        limit = self.config
        if len(uploads) > limit.max_upload_files:
            raise errors.TooManyFiles(f"too many files in one upload (at most {limit.max_upload_files})")
        if sum(upload.size for upload in uploads) > limit.max_upload_size:
            raise errors.UploadTooLarge(f"upload is larger than {limit.max_upload_size} bytes")
        return names

    async def delete(self, session: Session, filename: str) -> None:
        self._guard(session, "delete", self.config.user_delete)
        await self._disk(files.delete, self.root, filename)
        await self.refresh()

    async def _disk(self, work: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(work, *args)
        except OSError as exc:
            log.warning("file transfer: %s failed in %s: %s", work.__name__, self.root, type(exc).__name__)
            raise errors.FileTransferUnavailable() from None

    # --- WebSocket ---

    def update_for(self, session: Session) -> dict[str, Any]:
        config, enabled = self.config, self.enabled_for(session)
        return {
            "enabled": enabled,
            "root_dir": str(self.root),
            "user_download": config.user_download,
            "user_upload": config.user_upload,
            "user_delete": config.user_delete,
            # Sessions that may not use the plugin do not learn what the directory holds.
            "files": self._files if enabled else [],
        }

    def greet(self, session: Session) -> None:
        session.send(FILETRANSFER_UPDATE, self.update_for(session))

    def events(self) -> dict[str, Any]:
        return {FILETRANSFER_UPDATE: self._on_update}

    async def _on_update(self, session: Session, payload: None) -> None:
        if not await self.refresh():
            self.greet(session)  # nothing changed: only the asker hears the list again

    async def refresh(self) -> bool:
        """Rescan; when the list changed, every socket here is told. Whether it changed."""
        if not self.config.enabled:
            return False
        try:
            found = await asyncio.to_thread(files.list_files, self.root)
        except OSError as exc:
            log.warning("file transfer: cannot list %s: %s", self.root, type(exc).__name__)
            found = []
        if found == self._files:
            return False
        self._files = found
        for session in self._sessions.connected():
            self.greet(session)
        return True

    # --- lifecycle ---

    async def startup(self) -> None:
        if not self.config.enabled:
            return
        try:
            await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            log.error("file transfer: cannot create %s: %s", self.root, exc)
        await self.refresh()
        self._tasks = [asyncio.create_task(self._watch()), asyncio.create_task(self._tick())]

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _watch(self) -> None:
        try:
            async for _changes in watchfiles.awatch(self.root, recursive=False, debounce=200, watch_filter=None):
                await self.refresh()
        except (OSError, RuntimeError) as exc:
            log.warning("file transfer: cannot watch %s (%s); rescanning every %ss", self.root, exc, self._interval)

    @property
    def _interval(self) -> float:
        return max(self.config.refresh_interval, 1.0)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.refresh()
