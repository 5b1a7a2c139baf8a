"""The room over WebRTC (``services.media``): Neko's signalling, watching state and permissions.

The server is the offerer: ``signal/request`` replaces the session's peer and answers
``signal/provide``. Refusals are only logged, as in Neko.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .. import errors
from ..config import Config
from ..desktop import guards
from ..events import ProfileChanged, SessionDeleted, SessionDisconnected, SettingsChanged, StateChanged
from ..sessions.manager import SessionManager, utcnow
from ..sessions.session import Session
from ..types import PointerKeyboard
from ..ws import protocol
from . import ice
from .cursor import CursorWatcher
from .input import DataChannelInput
from .peer import Peer
from .stages import Stages
from .viewer import Viewer, select

log = logging.getLogger(__name__)
CURSORS_INTERVAL = 0.75
REVOKE_DELAY = 1.0  # Neko kills the peer 1 s after can_watch/can_connect/can_login is taken away


class MediaManager:
    def __init__(
        self,
        config: Config,
        sessions: SessionManager,
        display: Callable[[], str | None],
        pulse: Callable[[], str | None],
        pointer: Callable[[], PointerKeyboard | None],
    ) -> None:
        self._config = config.webrtc
        self._ice = ice.rtc_configuration(config.webrtc)
        self._frontend = ice.servers(config.webrtc, "frontend")
        self._ports = ice.port_range(config.webrtc)
        self._sessions = sessions
        self.stages = Stages(config.capture, display, pulse)
        self.viewers: dict[str, Viewer] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._display = display
        self._cursor: CursorWatcher | None = None
        self._closing: set[asyncio.Task[None]] = set()
        microphone = config.capture.microphone

        def mic_target() -> tuple[str, str] | None:
            server = pulse()
            return (server, microphone.device) if microphone.enabled and server else None

        self.input = DataChannelInput(sessions, pointer, lambda: self.viewers, mic_target)
        bus = sessions.bus
        bus.subscribe(SettingsChanged, lambda e: self._apply_private_mode())
        bus.subscribe(ProfileChanged, self._on_profile)
        bus.subscribe(SessionDisconnected, self._on_gone)
        bus.subscribe(SessionDeleted, self._on_gone)

    @property
    def video_ids(self) -> list[str]:
        return self.stages.ladder.ids

    # --- signal/* from clients ---

    async def request(self, session: Session, payload: Any) -> None:
        guards.can_watch(session)
        self._watch_cursor()
        payload = payload if isinstance(payload, dict) else {}
        video, audio = payload.get("video") or {}, payload.get("audio") or {}
        video_id = select(self.stages.ladder, None, video.get("selector"))
        await self.close(session)
        peer = Peer(self._ice, self.stages.ladder.codec, self._ports, self._config.nat1to1, self._config.icelite)
        viewer = Viewer(peer, video_id, bool(video.get("disabled")), bool(audio.get("disabled")))
        self.viewers[session.id] = viewer
        self._wire(session, viewer)
        self._route(session, viewer)
        trickle = self._trickle(session, viewer) if self._config.icetrickle else None
        sdp = await peer.offer(trickle)
        if self.viewers.get(session.id) is not viewer:
            return  # replaced while gathering
        # No await from here to the provide: the trickled candidates must follow it.
        session.send(
            "signal/provide",
            {"sdp": sdp, "iceservers": self._frontend, "video": viewer.video_state(), "audio": viewer.audio_state()},
        )

    async def answer(self, session: Session, payload: Any) -> None:
        viewer = self._viewer(session)
        await viewer.peer.accept_answer(_sdp(payload))

    async def candidate(self, session: Session, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise ValueError("candidate: expected an object")
        await self._viewer(session).peer.add_candidate(payload)

    async def offer(self, session: Session, payload: Any) -> None:
        viewer = self._viewer(session)
        sdp = await viewer.peer.answer_offer(_sdp(payload))
        session.send("signal/answer", {"sdp": sdp})

    async def restart(self, session: Session, payload: Any) -> None:
        viewer = self._viewer(session)
        session.send("signal/restart", {"sdp": await viewer.peer.restart()})

    async def video(self, session: Session, payload: Any) -> None:
        viewer = self._viewer(session)
        payload = payload if isinstance(payload, dict) else {}
        before = viewer.video_state()
        viewer.video_id = select(self.stages.ladder, viewer.video_id, payload.get("selector"))
        if "disabled" in payload:
            viewer.video_disabled = bool(payload["disabled"])
        viewer.auto = False  # no bitrate estimator: Neko forces auto off then
        self._route(session, viewer)
        if viewer.video_state() != before:
            session.send("signal/video", viewer.video_state())

    async def audio(self, session: Session, payload: Any) -> None:
        viewer = self._viewer(session)
        payload = payload if isinstance(payload, dict) else {}
        if "disabled" in payload and bool(payload["disabled"]) != viewer.audio_disabled:
            viewer.audio_disabled = bool(payload["disabled"])
            self._route(session, viewer)
            session.send("signal/audio", viewer.audio_state())

    # --- peers ---

    def _watch_cursor(self) -> None:
        display = self._display()
        if display and (self._cursor is None or self._cursor.display != display):
            if self._cursor is not None:
                self._cursor.stop()
            self._cursor = CursorWatcher(display, self.input.cursor_changed, asyncio.get_running_loop())

    def _viewer(self, session: Session) -> Viewer:
        viewer = self.viewers.get(session.id)
        if viewer is None:
            raise ValueError("no webrtc peer")
        return viewer

    def _trickle(self, session: Session, viewer: Viewer) -> Callable[[dict[str, Any]], None]:
        def send(candidate: dict[str, Any]) -> None:
            if self.viewers.get(session.id) is viewer:
                session.send(protocol.SIGNAL_CANDIDATE, candidate)

        return send

    def _route(self, session: Session, viewer: Viewer) -> None:
        """Point the tracks at their stages, or at nothing when disabled."""
        viewer.peer.video.attach(None if viewer.video_disabled else self.stages.video(viewer.video_id))
        viewer.peer.audio.attach(None if viewer.audio_disabled else self.stages.audio())
        paused = self._sessions.settings.private_mode and not session.profile.is_admin
        viewer.peer.video.pause(paused)
        viewer.peer.audio.pause(paused)

    def _wire(self, session: Session, viewer: Viewer) -> None:
        peer = viewer.peer

        async def state_changed() -> None:
            state = peer.pc.connectionState
            if state == "connected":
                self._watching(session, True)
            elif state in ("failed", "closed", "disconnected"):
                await self._closed(session, viewer)

        peer.on("connectionstatechange", state_changed)
        peer.channel.on("open", lambda: self.input.opened(session, peer))
        peer.channel.on("message", lambda data: self.input.received(session, peer, data))
        peer.on("track", lambda track: self.input.remote_track(session, viewer, track))

    async def _closed(self, session: Session, viewer: Viewer) -> None:
        if self.viewers.get(session.id) is viewer:
            del self.viewers[session.id]
        await viewer.peer.close()
        for task in viewer.remote:
            task.cancel()
        if session.state.is_watching:
            self._watching(session, False)
        session.send("signal/close", None)

    async def close(self, session: Session) -> None:
        viewer = self.viewers.pop(session.id, None)
        if viewer is not None:
            await self._closed(session, viewer)

    def _close_later(self, session: Session, delay: float) -> None:
        if session.id in self.viewers:
            asyncio.get_running_loop().call_later(delay, self._close_soon, session)

    def _close_soon(self, session: Session) -> None:
        task = asyncio.ensure_future(self.close(session))
        self._closing.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._closing.discard)

    def _watching(self, session: Session, watching: bool) -> None:
        state = session.state
        if state.is_watching == watching:
            return
        state.is_watching = watching
        state.watching_since = utcnow() if watching else None
        state.not_watching_since = None if watching else utcnow()
        self._sessions.backend.put_state(session, None)
        self._sessions.bus.publish(StateChanged(session))

    # --- the room's reactions ---

    def _apply_private_mode(self) -> None:
        private = self._sessions.settings.private_mode
        for session_id, viewer in self.viewers.items():
            session = self._session(session_id)
            paused = private and not (session is not None and session.profile.is_admin)
            viewer.peer.video.pause(paused)
            viewer.peer.audio.pause(paused)

    def _on_profile(self, event: ProfileChanged) -> None:
        new = event.new
        if not (new.can_watch and new.can_connect and new.can_login):
            self._close_later(event.session, REVOKE_DELAY)
        elif event.old.is_admin != new.is_admin:
            self._apply_private_mode()

    def _on_gone(self, event: SessionDisconnected | SessionDeleted) -> None:
        self.input.inactive.pop(event.session.id, None)
        self._close_later(event.session, 0)

    def _session(self, session_id: str) -> Session | None:
        try:
            return self._sessions.get(session_id)
        except errors.SessionNotFound:
            return None

    def start(self) -> None:
        self._ticker = asyncio.create_task(self._cursors())

    async def _cursors(self) -> None:
        """``session/cursors`` every 750 ms while inactive cursors are on; an empty list only once."""
        last: list[dict[str, Any]] | None = None
        while True:
            await asyncio.sleep(CURSORS_INTERVAL)
            if not self._sessions.settings.inactive_cursors:
                continue
            cursors = self.input.cursors()
            if cursors == last == []:
                continue
            last = cursors
            for session in self._sessions.connected():
                if session.profile.can_see_inactive_cursors:
                    session.send(protocol.SESSION_CURSORS, cursors)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._cursor is not None:
            self._cursor.stop()
        for session_id in list(self.viewers):
            session = self._session(session_id)
            viewer = self.viewers.pop(session_id)
            await viewer.peer.close()
            if session is not None:
                self._watching(session, False)
        self.stages.stop()


def _sdp(payload: Any) -> str:
    sdp = payload.get("sdp") if isinstance(payload, dict) else None
    if not isinstance(sdp, str) or not sdp:
        raise ValueError("expected {sdp}")
    return sdp
