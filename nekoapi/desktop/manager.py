"""``DesktopManager`` (``services.desktop``): the room's desktop, as handlers and sockets use it.

Operations that take a caller run Neko's guards first; the input methods do not (the WebSocket and
the data channel have their own rules). Every X call runs in the desktop's X thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import errors
from ..config import DesktopConfig
from ..events import ScreenChanged
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from . import guards, keyboard, screen
from .app import AppSupervisor
from .chromium import DevToolsPipe
from .runtime import DesktopRuntime
from .screen import ScreenSize
from .screenshot import clamp_quality

log = logging.getLogger("nekoapi.desktop")

# setxkbmap names: letters, digits and its punctuation; never starting with "-" (an option).
XKB_NAME = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_()+,.-]*)?")
KEY_PAUSE = 0.01  # Neko's pause between the downs of a multi-key press


def _admin(session: Session) -> None:
    if not session.profile.is_admin:
        raise errors.SessionNotAdmin()


class DesktopManager:
    def __init__(
        self,
        config: DesktopConfig,
        sessions: SessionManager,
        *,
        app_environment: Callable[[], dict[str, str]] = dict,
        on_devtools: Callable[[DevToolsPipe], None] | None = None,
    ) -> None:
        """``app_environment`` and ``on_devtools`` go to the app's supervisor (``AppSupervisor``)."""
        self._config, self._sessions = config, sessions
        self.runtime = DesktopRuntime(config, self._on_up)
        self._size = config.screen
        self._configurations: list[ScreenSize] = []
        self._switching = asyncio.Lock()
        self.app = AppSupervisor(
            config.app,
            Path(config.profile),
            lambda: self.display,
            lambda: self._size,
            policies=config.browser_policies,
            extensions=config.browser_extensions,
            environment=app_environment,
            on_devtools=on_devtools,
        )

    # --- lifecycle ---

    @property
    def enabled(self) -> bool:
        return self._config.enabled

    async def start(self) -> None:
        if not self.enabled:
            return
        await self.runtime.start()
        if self._config.app and Path(self._config.app.split()[0]).exists():
            self.app.start()
        elif self._config.app:
            log.warning("desktop.app %s is not installed; the room shows an empty desktop", self._config.app)

    async def stop(self) -> None:
        await self.app.stop()
        await self.runtime.stop()

    async def _on_up(self) -> None:
        """(Re)connected: show the configured (or last) size and learn what the screen offers."""
        control = self.runtime.require()
        try:
            applied = await control.run(screen.change, screen.normalize(*self._astuple()))
        except screen.ScreenSizeError as exc:
            log.warning("desktop.screen %s not applied: %s", self._config.screen, exc)
            applied = await control.run(screen.current)
        self._size = applied
        self._configurations = await control.run(screen.configurations)
        self._sessions.bus.publish(ScreenChanged(applied.width, applied.height, applied.rate, ""))

    def _astuple(self) -> tuple[int, int, int]:
        return self._size.width, self._size.height, self._size.rate

    # --- the manager seam ---

    @property
    def display(self) -> str | None:
        return self.runtime.name

    async def require(self) -> None:
        self._require()

    def _require(self) -> Any:
        if not self.enabled:
            raise errors.DesktopUnavailable("desktop is not available: desktop.enabled is false")
        return self.runtime.require()

    def health(self) -> None:
        """Raises ``DesktopUnavailable`` naming the display while the desktop is down."""
        if self.enabled:
            self._require()

    def screen(self) -> dict[str, int]:
        return self._size.to_dict()

    def configurations(self) -> list[dict[str, int]]:
        return [s.to_dict() for s in self._configurations]

    # --- screen ---

    async def set_screen(self, caller: Session, width: int, height: int, rate: int) -> dict[str, int]:
        guards.can_watch(caller)
        _admin(caller)
        return await self.switch_screen(width, height, rate, changed_by=caller.id)

    async def switch_screen(self, width: int, height: int, rate: int, *, changed_by: str) -> dict[str, int]:
        control = self._require()
        async with self._switching:
            try:
                applied = await control.run(screen.change, screen.normalize(width, height, rate))
            except screen.ScreenSizeError as exc:
                log.info("screen change refused: %s", exc)
                raise errors.ScreenSizeUnavailable() from None
            await control.run(screen.fit_windows, applied)
            self._size = applied
            self._configurations = await control.run(screen.configurations)
        self._sessions.bus.publish(ScreenChanged(applied.width, applied.height, applied.rate, changed_by))
        return applied.to_dict()

    async def screen_configurations(self, caller: Session) -> list[dict[str, int]]:
        guards.can_watch(caller)
        _admin(caller)
        self._require()
        return self.configurations()

    async def screen_configuration(self, caller: Session) -> dict[str, int]:
        guards.can_watch(caller)
        self._require()
        return self.screen()

    async def screenshot(self, caller: Session, quality: int | None) -> bytes:
        guards.can_watch(caller)
        _admin(caller)
        self._require()
        shots, grabber, size = self.runtime.shots, self.runtime.grabber, self._size
        if shots is None or grabber is None:
            raise errors.DesktopUnavailable()
        try:
            return await shots.run(lambda d: grabber.jpeg(size.width, size.height, clamp_quality(quality)))
        except Exception as exc:  # mss reports a vanished server as its own error
            if isinstance(exc, errors.NekoError):
                raise
            log.warning("screenshot failed: %s", exc)
            raise errors.DesktopUnavailable() from None

    # --- keyboard ---

    async def keyboard_map(self, caller: Session) -> dict[str, str]:
        guards.can_host(caller, self._sessions.settings)
        return (await self._require().run(keyboard.keyboard_map)).to_dict()

    async def set_keyboard_map(self, caller: Session, layout: str, variant: str) -> None:
        guards.can_host(caller, self._sessions.settings)
        guards.host(caller, self._sessions.host_id)
        await self.apply_keyboard_map(layout, variant)

    async def apply_keyboard_map(self, layout: str, variant: str) -> None:
        if not (XKB_NAME.fullmatch(layout) and XKB_NAME.fullmatch(variant)) or len(layout + variant) > 256:
            raise errors.KeyboardMapInvalid()
        control = self._require()
        wanted = keyboard.KeyboardMap(layout, variant)
        try:
            await control.run(lambda d: keyboard.set_keyboard_map(control.name, wanted))
        except keyboard.KeyboardMapError as exc:
            log.info("keyboard map %s/%s refused: %s", layout, variant, exc)
            raise errors.KeyboardMapInvalid() from None

    async def keyboard_modifiers(self, caller: Session) -> dict[str, bool]:
        guards.can_host(caller, self._sessions.settings)
        locks = self._locks()
        return await self._require().run(lambda d: locks.get())

    async def set_keyboard_modifiers(self, caller: Session, changes: Mapping[str, bool | None]) -> None:
        guards.can_host(caller, self._sessions.settings)
        guards.host(caller, self._sessions.host_id)
        await self.apply_keyboard_modifiers(changes)

    async def apply_keyboard_modifiers(self, changes: Mapping[str, bool | None]) -> None:
        locks = self._locks()
        known = {k: v for k, v in changes.items() if k in keyboard.MODIFIERS}
        await self._require().run(lambda d: locks.set(known))

    def _locks(self) -> keyboard.LockState:
        self._require()
        if self.runtime.locks is None:
            raise errors.DesktopUnavailable()
        return self.runtime.locks

    # --- input (no guards: callers apply the hosting rules) ---

    async def move(self, x: int, y: int) -> None:
        await self._require().run(self.runtime.input.move, x, y)

    async def scroll(self, delta_x: int, delta_y: int, control_key: bool) -> None:
        await self._require().run(self.runtime.input.scroll, delta_x, delta_y, control_key)

    async def button_down(self, code: int) -> None:
        await self._input("button_down", code)

    async def button_up(self, code: int) -> None:
        await self._input("button_up", code)

    async def key_down(self, keysym: int) -> None:
        await self._input("key_down", keysym)

    async def key_up(self, keysym: int) -> None:
        await self._input("key_up", keysym)

    async def touch(self, phase: str, touch_id: int, x: int, y: int) -> None:
        """Neko's touch ``begin``/``update``/``end``, emulated as the pointer (``touch.py``)."""
        if not await self._require().run(getattr(self.runtime.touch, phase), touch_id, x, y):
            log.debug("touch %s of finger %d ignored", phase, touch_id)

    async def _input(self, action: str, code: int) -> None:
        if not await self._require().run(getattr(self.runtime.input, action), code):
            log.debug("debounced %s %d", action, code)

    async def release_all_input(self) -> None:
        if self.display is not None:
            await self._require().run(self.runtime.input.release_all)

    async def button_press(self, code: int) -> None:
        """A click: whatever is held is released first and after."""
        await self.release_all_input()
        await self.button_down(code)
        await self.release_all_input()

    async def key_press(self, *keysyms: int) -> None:
        """Keys pressed together (e.g. Ctrl+C), then everything released."""
        await self.release_all_input()
        for index, keysym in enumerate(keysyms):
            if index:
                await asyncio.sleep(KEY_PAUSE)
            await self.key_down(keysym)
        await self.release_all_input()
