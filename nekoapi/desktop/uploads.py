"""Uploads onto the desktop: files dropped at x,y (XDND), and the browser's file chooser filled.

The uploaded files sit in the form's private directory (0700, made by the web
layer's multipart parser; see ``nekoapi/forms.py``). Unlike Neko, which leaves
them in /tmp forever, they are removed: at once when the desktop refused them,
else ``keep_for`` seconds after the drop or the dialog (the page reads a dropped
file when it uploads it, not at the drop), and at shutdown at the latest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from Xlib import error as xerror

from .. import errors
from ..config import DesktopConfig
from ..events import ScreenChanged, SessionDisconnected
from ..forms import Form
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import RoomPart
from . import filechooser, guards, xdnd

log = logging.getLogger(__name__)

OPENED = "file_chooser_dialog/opened"
CLOSED = "file_chooser_dialog/closed"
DROP_TIMEOUT = 5.0
DIALOG_TIMEOUT = 5.0
KEEP_FOR = 300.0
X_ERRORS = (xerror.DisplayError, xerror.ConnectionClosedError, OSError)


class UploadManager(RoomPart):
    def __init__(
        self,
        display: Callable[[], str | None],
        sessions: SessionManager,
        config: DesktopConfig,
        release_input: Callable[[], Awaitable[None]] | None = None,
        keep_for: float = KEEP_FOR,
    ) -> None:
        self._display = display
        self._sessions = sessions
        self._config = config
        self._release_input = release_input
        self.keep_for = keep_for
        self._watcher: filechooser.FileChooserWatcher | None = None
        self._dialog: int | None = None
        self.dialog_owner: str | None = None
        self._kept: dict[asyncio.TimerHandle, Form] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()  # one drop or fill at a time, as Neko's desktop mutex
        self._watch_lock = asyncio.Lock()
        self._tasks: set[asyncio.Future[None]] = set()
        sessions.bus.subscribe(SessionDisconnected, lambda e: self._on_left(e.session))
        sessions.bus.subscribe(ScreenChanged, lambda e: self._rewatch())

    async def startup(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._watch(close_open=True)

    async def _watch(self, *, close_open: bool = False) -> None:
        if not self._config.file_chooser_dialog or self._display() is None:
            return
        try:
            await self._ensure_watcher()
        except errors.DesktopUnavailable as exc:
            log.warning("uploads: not watching for file chooser dialogs: %s", exc.text)
            return
        if close_open and self._dialog is not None:  # Neko closes a dialog left open at start-up
            await self._dismiss()

    def _rewatch(self) -> None:
        """The X server came (back) up or switched: a lost watcher is started again."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(lambda: self._spawn(self._watch()))

    async def shutdown(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await asyncio.to_thread(watcher.close)
        for task in list(self._tasks):
            task.cancel()
        kept = list(self._kept.items())
        self._kept.clear()
        for handle, _ in kept:
            handle.cancel()
        await asyncio.to_thread(_close_all, [form for _, form in kept])

    # --- operations ---

    def check_drop(self, caller: Session) -> None:
        """Whether ``caller`` may drop files now; the web layer asks before it reads the files."""
        self._check(caller)
        if not self._config.upload_drop:
            raise errors.UploadDisabled()

    def check_dialog(self, caller: Session) -> None:
        """Whether ``caller`` may fill the file chooser now; asked before the files are read, too."""
        self._check(caller)
        self._check_dialog_enabled()

    async def drop(self, caller: Session, form: Form) -> None:
        await self._taking(form, self._drop(caller, form))

    async def _drop(self, caller: Session, form: Form) -> None:
        self.check_drop(caller)
        x, y = _coordinates(form)
        paths = _paths(form)
        display = self._require_display()
        async with self._lock:
            if self._release_input is not None:
                await self._release_input()
            await self._run(xdnd.drop_files, display, x, y, paths, DROP_TIMEOUT)

    async def dialog(self, caller: Session, form: Form) -> None:
        await self._taking(form, self._dialog_fill(caller, form))

    async def _dialog_fill(self, caller: Session, form: Form) -> None:
        self.check_dialog(caller)
        paths = _paths(form)
        display = self._require_display()
        await self._ensure_watcher()
        window = self._open_dialog()
        async with self._lock:
            await self._run(filechooser.fill, display, window, paths, DIALOG_TIMEOUT)

    async def _taking(self, form: Form, work: Awaitable[None]) -> None:
        """The form's files are kept a while when ``work`` succeeds, else removed at once."""
        try:
            await work
        except Exception:
            await form.aclose()
            raise
        except BaseException:
            form.close()  # cancelled: nothing may be awaited any more
            raise
        self._keep(form)

    async def dialog_close(self, caller: Session) -> None:
        self._check(caller)
        self._check_dialog_enabled()
        self._require_display()
        await self._ensure_watcher()
        self._open_dialog()
        await self._dismiss()

    # --- guards and checks, in Neko's order ---

    def _check(self, caller: Session) -> None:
        guards.upload(caller, self._sessions.host_id, self._sessions.settings)

    def _check_dialog_enabled(self) -> None:
        if not self._config.file_chooser_dialog:
            raise errors.UploadDisabled("file chooser dialog is disabled")

    def _open_dialog(self) -> int:
        if self._dialog is None:
            raise errors.FileChooserNotOpen()
        return self._dialog

    def _require_display(self) -> str:
        display = self._display()
        if display is None:
            raise errors.DesktopUnavailable()
        return display

    async def _run(self, fn: Callable[..., object], *args: object) -> None:
        try:
            await asyncio.to_thread(fn, *args)
        except X_ERRORS as exc:
            raise errors.DesktopUnavailable(f"uploads: cannot reach the X display ({type(exc).__name__})") from None

    # --- the dialog's life, and its WebSocket events ---

    async def _ensure_watcher(self) -> None:
        async with self._watch_lock:
            if self._watcher is None or not self._watcher.alive:
                await self._new_watcher()

    async def _new_watcher(self) -> None:
        display = self._require_display()
        self._dialog = self.dialog_owner = None  # whatever the lost watcher saw is gone with it
        try:
            self._watcher = await asyncio.to_thread(
                filechooser.FileChooserWatcher,
                display,
                self._from_thread(self._opened),
                self._from_thread(self._closed),
            )
        except X_ERRORS as exc:
            raise errors.DesktopUnavailable(f"uploads: cannot reach the X display ({type(exc).__name__})") from None

    def _from_thread(self, fn: Callable[..., None]) -> Callable[..., None]:
        def call(*args: object) -> None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(fn, *args)

        return call

    def _opened(self, window: int) -> None:
        self._dialog = window
        host_id = self._sessions.host_id
        if host_id is None:  # Neko: nobody to fill it, so it is closed at once, silently
            self._spawn(self._dismiss())
            return
        self.dialog_owner = host_id
        self._broadcast(OPENED, {"id": host_id})

    def _closed(self) -> None:
        self._dialog = None
        self.dialog_owner = None
        self._broadcast(CLOSED, {"id": ""})

    async def _dismiss(self) -> None:
        window, display = self._dialog, self._display()
        if window is None or display is None:
            return
        try:
            gone = await asyncio.to_thread(filechooser.dismiss, display, window, DIALOG_TIMEOUT)
        except X_ERRORS:
            return
        if not gone:
            log.warning("uploads: the file chooser dialog did not close")

    def greet(self, session: Session) -> None:
        """A session connecting while the dialog is open hears who holds it."""
        if self.dialog_owner is not None:
            session.send(OPENED, {"id": self.dialog_owner})

    def _on_left(self, session: Session) -> None:
        if session.id == self.dialog_owner:
            self._spawn(self._dismiss())

    def _broadcast(self, event: str, payload: dict[str, str]) -> None:
        for session in self._sessions.connected():
            session.send(event, payload)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)

    def _keep(self, form: Form) -> None:
        """The files stay readable a while for the page that got them, then go."""
        loop = self._loop or asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def remove() -> None:
            self._kept.pop(handle, None)
            self._spawn(form.aclose())

        handle = loop.call_later(self.keep_for, remove)
        self._kept[handle] = form


def _close_all(forms: list[Form]) -> None:
    for form in forms:
        form.close()


def _coordinates(form: Form) -> tuple[int, int]:
    x, y = form.value("x"), form.value("y")
    if not isinstance(x, int):
        raise errors.UploadInvalid("no X coordinate received")
    if not isinstance(y, int):
        raise errors.UploadInvalid("no Y coordinate received")
    return x, y


def _paths(form: Form) -> list[str]:
    files = form.files_of("files")
    if not files:
        raise errors.UploadInvalid("no files received")
    return [str(f.path) for f in files]
