"""The desktop's WebSocket events: input from the host (Neko's implicit hosting), screen and
keyboard changes from clients, and ``screen/updated`` to everyone.

Payloads arrive decoded and checked against their schemas (``ws/messages.py``); like Neko,
a refused event is only logged and nothing is sent back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..events import HostChanged, ScreenChanged
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from ..types import RoomPart
from ..ws.payloads import (
    ClipboardData,
    ControlButton,
    ControlKey,
    ControlPos,
    ControlScroll,
    ControlTouch,
    KeyboardMapRequest,
    KeyboardModifiersRequest,
    ScreenSizeRequest,
)
from .manager import DesktopManager

Handler = Callable[[Session, Any], Awaitable[None]]
# Without a desktop (desktop.enabled false) clients still expect these fields in system/init.
NEUTRAL_SCREEN_SIZE = {"width": 1280, "height": 720, "rate": 30}
CONTROL_L = 0xFFE3
CUT, COPY, PASTE, SELECT_ALL = 0x78, 0x63, 0x76, 0x61  # keysyms of x, c, v, a


class DesktopMessages(RoomPart):
    """The desktop's part of the room: its client events, and the screen in ``system/init``/``system/admin``.

    ``paste_text`` sets the clipboard's text of a ``control/paste`` (the clipboard part checks
    its guards there); ``send_all`` sends to every connected session."""

    def __init__(
        self,
        sessions: SessionManager,
        room: RoomManager,
        desktop: DesktopManager,
        send_all: Callable[[str, Any], None],
        paste_text: Callable[[Session, str], Awaitable[None]] | None = None,
    ) -> None:
        self._sessions, self._room, self._desktop, self._send_all = sessions, room, desktop, send_all
        sessions.bus.subscribe(HostChanged, self._on_host_changed)
        sessions.bus.subscribe(ScreenChanged, self._on_screen_changed)
        self._pending_release: set[asyncio.Future[None]] = set()
        self._paste_text = paste_text

    def events(self) -> dict[str, Handler]:
        return self.table()

    def init_fields(self, session: Session) -> dict[str, Any]:
        screen = self._desktop.screen() if self._desktop.enabled else NEUTRAL_SCREEN_SIZE
        return {"screen_size": screen, "touch_events": False}

    def admin_fields(self, session: Session) -> dict[str, Any]:
        return {"screen_sizes_list": self._desktop.configurations() if self._desktop.enabled else []}

    def table(self) -> dict[str, Handler]:
        control = {
            "control/move": self._move,
            "control/scroll": self._scroll,
            "control/buttonpress": self._button("press"),
            "control/buttondown": self._button("down"),
            "control/buttonup": self._button("up"),
            "control/keypress": self._key("press"),
            "control/keydown": self._key("down"),
            "control/keyup": self._key("up"),
            "control/cut": self._shortcut(CUT),
            "control/copy": self._shortcut(COPY),
            "control/paste": self._paste,
            "control/select_all": self._shortcut(SELECT_ALL),
            "control/touchbegin": self._touch("begin"),
            "control/touchupdate": self._touch("update"),
            "control/touchend": self._touch("end"),
        }
        return {
            **{event: self._as_host(handler) for event, handler in control.items()},
            "screen/set": self._screen_set,
            "keyboard/map": self._keyboard_map,
            "keyboard/modifiers": self._keyboard_modifiers,
        }

    # --- Neko's implicit control request, before every control/* input ---

    def _as_host(self, handler: Handler) -> Handler:
        async def guarded(session: Session, payload: Any) -> None:
            if await self._room.control_by_input(session):
                await handler(session, payload)

        return guarded

    async def _move_to(self, payload: ControlButton | ControlKey) -> None:
        """The optional ``x``/``y`` of a button or key event: the pointer moves there first."""
        if payload.x is not None or payload.y is not None:
            await self._desktop.move(payload.x or 0, payload.y or 0)

    async def _move(self, session: Session, payload: ControlPos) -> None:
        await self._desktop.move(payload.x, payload.y)

    async def _scroll(self, session: Session, payload: ControlScroll) -> None:
        dx, dy = payload.delta_x, payload.delta_y
        if dx == 0 and dy == 0:
            dx, dy = payload.x, payload.y  # Neko's old clients send {x, y} as the deltas
        await self._desktop.scroll(dx, dy, payload.control_key)

    def _button(self, kind: str) -> Handler:
        async def handle(session: Session, payload: ControlButton) -> None:
            await self._move_to(payload)
            action = {"press": self._desktop.button_press, "down": self._desktop.button_down}
            await action.get(kind, self._desktop.button_up)(payload.code)

        return handle

    def _key(self, kind: str) -> Handler:
        async def handle(session: Session, payload: ControlKey) -> None:
            await self._move_to(payload)
            action = {"press": self._desktop.key_press, "down": self._desktop.key_down}
            await action.get(kind, self._desktop.key_up)(payload.keysym)

        return handle

    def _shortcut(self, keysym: int) -> Handler:
        async def handle(session: Session, payload: None) -> None:
            await self._desktop.key_press(CONTROL_L, keysym)

        return handle

    async def _paste(self, session: Session, payload: ClipboardData) -> None:
        # The text (when given) goes to the clipboard first, the clipboard part's work; the keys are ours.
        if payload.text and self._paste_text is not None:
            await self._paste_text(session, payload.text)
        await self._desktop.key_press(CONTROL_L, PASTE)

    def _touch(self, phase: str) -> Handler:
        """Emulated as the pointer (no touch device: ``system/init`` says ``touch_events`` false, so
        Neko's clients turn gestures into pointer input themselves; raw touches still work)."""

        async def handle(session: Session, payload: ControlTouch) -> None:
            await self._desktop.touch(phase, payload.touch_id, payload.x, payload.y)

        return handle

    # --- other client events ---

    async def _screen_set(self, session: Session, payload: ScreenSizeRequest) -> None:
        await self._desktop.set_screen(session, payload.width, payload.height, payload.rate)

    async def _keyboard_map(self, session: Session, payload: KeyboardMapRequest) -> None:
        if self._sessions.host_id == session.id:
            await self._desktop.apply_keyboard_map(payload.layout, payload.variant)

    async def _keyboard_modifiers(self, session: Session, payload: KeyboardModifiersRequest) -> None:
        if self._sessions.host_id == session.id:
            await self._desktop.apply_keyboard_modifiers(payload.changes())

    # --- bus ---

    def _on_host_changed(self, event: HostChanged) -> None:
        if self._desktop.display is not None:
            self._spawn(self._desktop.release_all_input())

    def _on_screen_changed(self, event: ScreenChanged) -> None:
        size = {"width": event.width, "height": event.height, "rate": event.rate}
        self._send_all("screen/updated", {"id": event.changed_by, **size})

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._pending_release.add(task)
        task.add_done_callback(self._pending_release.discard)
