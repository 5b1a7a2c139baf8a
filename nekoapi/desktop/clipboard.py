"""The room's clipboard: Neko's clipboard operations and WebSocket events on the X CLIPBOARD.

Reads open their own short X connection; setting hands the contents to the
``SelectionOwner`` thread, which serves them until another client takes the
clipboard. Each CLIPBOARD owner change is echoed to the host as
``clipboard/updated`` (Neko's rule: the host only, if it may use the clipboard).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from Xlib import error as xerror

from .. import errors
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import EventHandler, RoomPart
from ..ws.payloads import ClipboardData
from . import guards
from .selection import SelectionOwner, read_selection, read_targets

log = logging.getLogger(__name__)

CLIPBOARD_UPDATED = "clipboard/updated"
CLIPBOARD_SET = "clipboard/set"
TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8")
HTML_TARGET = "text/html"
IMAGE_TARGET = "image/png"
# Neko's set blocks until the X server confirms; ours gives up after this long (503).
TIMEOUT = 5.0


class ClipboardManager(RoomPart):
    def __init__(self, display: Callable[[], str | None], sessions: SessionManager) -> None:
        self._display = display
        self._sessions = sessions
        self._owner: SelectionOwner | None = None
        self._owner_display: str | None = None
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        sessions.bus.subscribe(ScreenChanged, lambda e: self._rewatch())

    def events(self) -> dict[str, EventHandler]:
        return {CLIPBOARD_SET: self.on_client_set}

    async def startup(self) -> None:
        """Watches the clipboard from the start when a display is up (for clipboard/updated)."""
        self._loop = asyncio.get_running_loop()
        await self._watch()

    async def _watch(self) -> None:
        if self._display() is None:
            return
        try:
            await self._ensure_owner()
        except errors.DesktopUnavailable as exc:
            log.warning("clipboard: not watching the X clipboard: %s", exc.text)

    def _rewatch(self) -> None:
        """The X server came (back) up or switched: a lost connection is made again."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._spawn, self._watch)

    async def shutdown(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            await asyncio.to_thread(owner.close)
        for task in list(self._tasks):
            task.cancel()

    # --- operations (guards: clipboard, then host) ---

    async def get_text(self, caller: Session) -> dict[str, str]:
        self._check(caller)
        offered = await self._targets()
        text = await self._read_offered(TEXT_TARGETS[0], offered)
        html = await self._read_offered(HTML_TARGET, offered)
        if text is None and html is None:
            raise errors.ClipboardEmpty()
        body: dict[str, str] = {}
        if text:
            body["text"] = text.decode("utf-8", "replace")
        if html:
            body["html"] = html.decode("utf-8", "replace")
        return body

    async def set_text(self, caller: Session, text: str | None, html: str | None) -> None:
        self._check(caller)
        await self._set(text, html)

    async def get_image(self, caller: Session) -> bytes:
        self._check(caller)
        image = await self._read_offered(IMAGE_TARGET, await self._targets())
        if not image:
            raise errors.ClipboardEmpty("clipboard holds no image/png")
        return image

    async def on_client_set(self, session: Session, payload: ClipboardData) -> None:
        """WebSocket ``clipboard/set {text}``: the text only (UTF8_STRING), same guards."""
        self._check(session)
        await self._set(payload.text, None)

    async def paste_text(self, session: Session, text: str) -> None:
        """``control/paste {text}`` sets the clipboard first, under the same guards (the desktop's
        part then presses Ctrl+V: ``DesktopMessages``' ``paste_text``)."""
        self._check(session)
        await self._set(text, None)

    # --- internals ---

    def _check(self, session: Session) -> None:
        guards.clipboard(session)
        guards.host(session, self._sessions.host_id)

    async def _set(self, text: str | None, html: str | None) -> None:
        if html:  # Neko: a non-empty html replaces the text entirely
            contents = {HTML_TARGET: html.encode()}
        else:
            data = (text or "").encode()
            contents = dict.fromkeys(TEXT_TARGETS, data)
        owner = await self._ensure_owner()
        try:
            await asyncio.to_thread(owner.own, contents, TIMEOUT)
        except RuntimeError as exc:
            raise errors.DesktopUnavailable(f"clipboard: {exc}") from None

    async def _read(self, target: str) -> bytes | None:
        display = self._require_display()
        try:
            async with self._read_lock:  # owners such as xclip serve one INCR transfer at a time
                return await asyncio.to_thread(read_selection, display, target, TIMEOUT)
        except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
            raise errors.DesktopUnavailable(f"clipboard: cannot reach the X display ({type(exc).__name__})") from None

    async def _read_offered(self, target: str, offered: set[str] | None) -> bytes | None:
        return await self._read(target) if offered is None or target in offered else None

    async def _targets(self) -> set[str] | None:
        """What the owner offers (some owners, xclip among them, answer any target with their data)."""
        display = self._require_display()
        try:
            async with self._read_lock:
                return await asyncio.to_thread(read_targets, display, TIMEOUT)
        except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
            raise errors.DesktopUnavailable(f"clipboard: cannot reach the X display ({type(exc).__name__})") from None

    def _require_display(self) -> str:
        display = self._display()
        if display is None:
            raise errors.DesktopUnavailable()
        return display

    async def _ensure_owner(self) -> SelectionOwner:
        async with self._lock:
            display = self._require_display()
            owner = self._owner
            if owner is not None and owner.alive and self._owner_display == display:
                return owner
            if owner is not None:
                await asyncio.to_thread(owner.close)
            try:
                self._owner = await asyncio.to_thread(SelectionOwner, display, self._owner_changed)
            except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
                self._owner = None
                raise errors.DesktopUnavailable(
                    f"clipboard: cannot reach the X display ({type(exc).__name__})"
                ) from None
            self._owner_display = display
            return self._owner

    def _owner_changed(self) -> None:
        """On the owner's X thread: some client (maybe us) took CLIPBOARD."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._spawn, self._announce)

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.get_running_loop().create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(self) -> None:
        host_id = self._sessions.host_id
        if host_id is None:
            return
        try:
            host = self._sessions.get(host_id)
        except errors.SessionNotFound:
            return
        if not host.profile.can_access_clipboard or host.peer is None:
            return  # nobody to tell: no read that would compete with a request's
        try:
            text = await self._read_offered(TEXT_TARGETS[0], await self._targets())
        except errors.DesktopUnavailable:
            return
        if text is not None:
            host.send(CLIPBOARD_UPDATED, {"text": text.decode("utf-8", "replace")})
