"""What arrives on a peer's data channel and tracks: input for the desktop, pings, microphones.

Only the host's input reaches the desktop. A non-host's MOVE is kept as an inactive
cursor (``session/cursors``); its other input is dropped. The channel never makes anyone
host. Every PING gets its PONG.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from Xlib.error import XError

from ..desktop.xconn import XRequestFailed
from ..errors import NekoError
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import PointerKeyboard
from . import datachannel
from .microphone import play_microphone

if TYPE_CHECKING:
    from .peer import Peer
    from .viewer import Viewer

log = logging.getLogger(__name__)


class Replies(Protocol):
    """Where a PONG goes back: a peer's data channel, or the media WebSocket."""

    def send(self, data: bytes) -> None: ...


class DataChannelInput:
    def __init__(
        self,
        sessions: SessionManager,
        pointer: Callable[[], PointerKeyboard | None],
        peers: Callable[[], dict[str, Viewer]],
        microphone: Callable[[], tuple[str, str] | None],
    ) -> None:
        self._sessions = sessions
        self._pointer = pointer
        self._peers = peers
        self._microphone = microphone
        self.position: tuple[int, int] = (0, 0)
        self.cursor_image: bytes | None = None  # the last CURSOR_IMAGE message
        self.inactive: dict[str, tuple[int, int]] = {}  # non-hosts' last moves
        self._tasks: set[asyncio.Task[None]] = set()  # input being applied, kept until done

    def opened(self, session: Session, peer: Peer) -> None:
        peer.send(datachannel.cursor_position(*self.position))
        if self.cursor_image is not None:
            peer.send(self.cursor_image)

    def received(self, session: Session, peer: Replies, data: Any) -> None:
        message = datachannel.parse(data) if isinstance(data, bytes) else None
        if message is None:
            return
        values = message.values
        if message.name == "ping":
            peer.send(datachannel.pong(values["hi"], values["lo"]))
            return
        if self._sessions.host_id != session.id:
            if message.name == "move" and session.profile.sends_inactive_cursor:
                self.inactive[session.id] = (values["x"], values["y"])
            return
        task = asyncio.ensure_future(self._apply(session, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, session: Session, message: datachannel.Message) -> None:
        pointer = self._pointer()
        if pointer is None:
            return
        values = message.values
        try:
            if message.name == "move":
                await pointer.move(values["x"], values["y"])
                self.moved(values["x"], values["y"], session.id)
            elif message.name == "scroll":
                await pointer.scroll(values["delta_x"], values["delta_y"], bool(values["control_key"]))
            elif message.name in ("key_down", "key_up"):
                await getattr(pointer, message.name)(values["keysym"])
            elif message.name in ("button_down", "button_up"):
                await getattr(pointer, message.name)(values["code"])
            elif message.name.startswith("touch_"):
                x, y = max(0, values["x"]), max(0, values["y"])
                await pointer.touch(message.name.removeprefix("touch_"), values["touch_id"], x, y)
                self.moved(x, y, session.id)
        except (NekoError, XRequestFailed, XError) as exc:  # the display is down, or X refused: only logged, as in Neko
            log.info("data channel %s from session %s failed: %s", message.name, session.id, exc)
        except Exception:
            log.exception("data channel %s from session %s failed", message.name, session.id)

    def moved(self, x: int, y: int, host_id: str) -> None:
        """The host's pointer moved: every other peer draws it."""
        self.position = (x, y)
        payload = datachannel.cursor_position(x, y)
        for session_id, viewer in self._peers().items():
            if session_id != host_id:
                viewer.peer.send(payload)

    def cursor_changed(self, message: bytes) -> None:
        self.cursor_image = message
        for viewer in self._peers().values():
            viewer.peer.send(message)

    def remote_track(self, session: Session, viewer: Viewer, track: Any) -> None:
        if track.kind != "audio" or not session.profile.can_share_media:
            return
        for task in viewer.remote:  # a new track of the same kind stops the previous one
            task.cancel()
        viewer.remote = [asyncio.ensure_future(self._play(track))]

    async def _play(self, track: Any) -> None:
        # Finding the sound server may wait for our PulseAudio to start or restart: off the event loop.
        target = await asyncio.to_thread(self._microphone)
        if target is not None:
            await play_microphone(track, *target)

    def cursors(self) -> list[dict[str, Any]]:
        """``session/cursors``: the inactive cursors of sessions still connected and not hosting."""
        host = self._sessions.host_id
        return [{"id": sid, "cursors": [{"x": x, "y": y}]} for sid, (x, y) in self.inactive.items() if sid != host]
