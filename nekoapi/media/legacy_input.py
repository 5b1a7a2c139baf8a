"""Neko v2's data channel: the input Neko's Vue 2 UI sends on a channel it opens itself (with
``legacy`` on), as Neko's ``server/internal/webrtc/legacyhandler.go`` reads it.

Little-endian ``op:u8 length:u16`` then: MOVE (1) ``x,y:u16``; SCROLL (2) ``x,y:i16`` (deltas);
KEY_DOWN (3) and KEY_UP (4) ``key:u64``, a mouse button when below 8, else a keysym; KEY_CLK (5)
is unused. Only a session that may act as the host (Neko's ``LegacyIsHost``,
``rules.v2_input_allowed``) reaches the desktop; the rest is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Any

from Xlib.error import XError

from ..desktop.xconn import XRequestFailed
from ..errors import NekoError
from ..sessions import rules
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import PointerKeyboard

log = logging.getLogger(__name__)

FORMATS = {1: ("move", "<BHHH"), 2: ("scroll", "<BHhh"), 3: ("down", "<BHQ"), 4: ("up", "<BHQ")}
BUTTONS_BELOW = 8  # keys 1-7 are mouse buttons, as X numbers them


def parse(data: bytes) -> tuple[str, int, int] | None:
    """(what, first value, second value); None for what is not v2 input (or KEY_CLK)."""
    entry = FORMATS.get(data[0]) if data else None
    if entry is None or len(data) < struct.calcsize(entry[1]):
        return None
    name, layout = entry
    values = struct.unpack_from(layout, data)[2:]
    return name, values[0], values[1] if len(values) > 1 else 0


class V2ChannelInput:
    def __init__(self, sessions: SessionManager, pointer: Callable[[], PointerKeyboard | None]) -> None:
        self._sessions = sessions
        self._pointer = pointer
        self._tasks: set[asyncio.Task[None]] = set()  # input being applied, kept until done

    def received(self, session: Session, data: Any) -> None:
        message = parse(data) if isinstance(data, bytes) else None
        if message is None:
            return
        if not rules.v2_input_allowed(session, self._sessions.host_id, self._sessions.settings):
            return
        task = asyncio.ensure_future(self._apply(session, *message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, session: Session, name: str, first: int, second: int) -> None:
        pointer = self._pointer()
        if pointer is None:
            return
        try:
            if name == "move":
                await pointer.move(first, second)
            elif name == "scroll":
                await pointer.scroll(first, second, False)
            elif first < BUTTONS_BELOW:
                await (pointer.button_down if name == "down" else pointer.button_up)(first)
            else:
                await (pointer.key_down if name == "down" else pointer.key_up)(first)
        except (NekoError, XRequestFailed, XError) as exc:  # the display is down, or X refused: logged, as in Neko
            log.info("v2 data channel %s from session %s failed: %s", name, session.id, exc)
