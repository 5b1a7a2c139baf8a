"""The desktop's WebSocket events: input from the host (Neko's implicit hosting), screen and
keyboard changes from clients, and ``screen/updated`` to everyone.

Like Neko, a refused or malformed event is only logged; nothing is sent back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..events import ControlRequested, HostChanged, ScreenChanged
from ..sessions.manager import SessionManager
from ..sessions.room import RoomManager
from ..sessions.session import Session
from .manager import DesktopManager

log = logging.getLogger("nekoapi.desktop.ws")

Handler = Callable[[Session, Any], Awaitable[None]]
CONTROL_L = 0xFFE3
CUT, COPY, PASTE, SELECT_ALL = 0x78, 0x63, 0x76, 0x61  # keysyms of x, c, v, a
MODIFIER_NAMES = ("shift", "capslock", "control", "alt", "numlock", "meta", "super", "altgr")
MAX_COORD = 0xFFFF
MAX_SCROLL = 100  # units per event, so a bad client cannot queue millions of clicks


class BadPayload(ValueError):
    pass


def _int(payload: Any, name: str, low: int = 0, high: int = 0xFFFFFFFF, default: int | None = None) -> int:
    value = payload.get(name, default) if isinstance(payload, dict) else default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadPayload(f"{name}: expected an integer in {low}..{high}")
    return value


class DesktopMessages:
    def __init__(self, sessions: SessionManager, room: RoomManager, desktop: DesktopManager, send_all: Any) -> None:
        self._sessions, self._room, self._desktop, self._send_all = sessions, room, desktop, send_all
        sessions.bus.subscribe(HostChanged, self._on_host_changed)
        sessions.bus.subscribe(ScreenChanged, self._on_screen_changed)
        self._pending_release: set[asyncio.Future[None]] = set()
        # Seam for desktop-io: sets the clipboard text of a control/paste (Clip + Host checked there).
        self.clipboard_setter: Callable[[Session, str], Awaitable[None]] | None = None

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
        }
        return {
            **{event: self._as_host(handler) for event, handler in control.items()},
            "screen/set": self._screen_set,
            "keyboard/map": self._keyboard_map,
            "keyboard/modifiers": self._keyboard_modifiers,
        }

    # --- Neko's implicit control request, before every control/* input ---

    async def may_control(self, session: Session) -> bool:
        settings, profile, host_id = self._sessions.settings, session.profile, self._sessions.host_id
        if not profile.can_host or (settings.private_mode and not profile.is_admin):
            return False
        if host_id == session.id:
            return True
        if settings.locked_controls and not profile.is_admin:
            return False
        if settings.implicit_hosting or host_id is None:
            await self._room.take_control(session)
            return True
        self._sessions.backend.control_requested(host_id, session.id)
        self._sessions.bus.publish(ControlRequested(host_id, session.id))
        return False

    def _as_host(self, handler: Handler) -> Handler:
        async def guarded(session: Session, payload: Any) -> None:
            try:
                if await self.may_control(session):
                    await handler(session, payload)
            except BadPayload as exc:
                log.info("ignored control event from session %s: %s", session.id, exc)

        return guarded

    async def _move_to(self, payload: Any) -> None:
        """The optional ``x``/``y`` of a button or key event: the pointer moves there first."""
        if isinstance(payload, dict) and ("x" in payload or "y" in payload):
            await self._desktop.move(_int(payload, "x", 0, MAX_COORD, 0), _int(payload, "y", 0, MAX_COORD, 0))

    async def _move(self, session: Session, payload: Any) -> None:
        await self._desktop.move(_int(payload, "x", 0, MAX_COORD), _int(payload, "y", 0, MAX_COORD))

    async def _scroll(self, session: Session, payload: Any) -> None:
        dx = _int(payload, "delta_x", -MAX_SCROLL, MAX_SCROLL, 0)
        dy = _int(payload, "delta_y", -MAX_SCROLL, MAX_SCROLL, 0)
        if dx == 0 and dy == 0 and isinstance(payload, dict) and ("x" in payload or "y" in payload):
            # Neko's old clients send {x, y} as the deltas.
            dx, dy = _int(payload, "x", -MAX_SCROLL, MAX_SCROLL, 0), _int(payload, "y", -MAX_SCROLL, MAX_SCROLL, 0)
        control_key = isinstance(payload, dict) and payload.get("control_key") is True
        await self._desktop.scroll(dx, dy, control_key)

    def _button(self, kind: str) -> Handler:
        async def handle(session: Session, payload: Any) -> None:
            code = _int(payload, "code", 1, 255)
            await self._move_to(payload)
            action = {"press": self._desktop.button_press, "down": self._desktop.button_down}
            await action.get(kind, self._desktop.button_up)(code)

        return handle

    def _key(self, kind: str) -> Handler:
        async def handle(session: Session, payload: Any) -> None:
            keysym = _int(payload, "keysym", 1)
            await self._move_to(payload)
            action = {"press": self._desktop.key_press, "down": self._desktop.key_down}
            await action.get(kind, self._desktop.key_up)(keysym)

        return handle

    def _shortcut(self, keysym: int) -> Handler:
        async def handle(session: Session, payload: Any) -> None:
            await self._desktop.key_press(CONTROL_L, keysym)

        return handle

    async def _paste(self, session: Session, payload: Any) -> None:
        # The text (when given) goes to the clipboard first: desktop-io's clipboard manager does
        # that part (``clipboard_setter``); the keys are ours.
        text = payload.get("text") if isinstance(payload, dict) else None
        if text and self.clipboard_setter is not None:
            await self.clipboard_setter(session, text)
        await self._desktop.key_press(CONTROL_L, PASTE)

    # --- other client events ---

    async def _screen_set(self, session: Session, payload: Any) -> None:
        try:
            width, height = _int(payload, "width", 1, 4096), _int(payload, "height", 1, 4096)
            rate = _int(payload, "rate", 0, 1000, 0)
        except BadPayload as exc:
            log.info("ignored screen/set from session %s: %s", session.id, exc)
            return
        await self._desktop.set_screen(session, width, height, rate)

    async def _keyboard_map(self, session: Session, payload: Any) -> None:
        if self._sessions.host_id != session.id or not isinstance(payload, dict):
            return
        layout, variant = payload.get("layout", ""), payload.get("variant", "")
        if isinstance(layout, str) and isinstance(variant, str):
            await self._desktop.apply_keyboard_map(layout, variant)

    async def _keyboard_modifiers(self, session: Session, payload: Any) -> None:
        if self._sessions.host_id != session.id or not isinstance(payload, dict):
            return
        changes = {k: v for k, v in payload.items() if k in MODIFIER_NAMES and (v is None or isinstance(v, bool))}
        await self._desktop.apply_keyboard_modifiers(changes)

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
