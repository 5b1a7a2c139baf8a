"""The room over WebRTC (``services.media``): Neko's signalling, watching state and permissions.

The server is the offerer: ``signal/request`` replaces the session's peer and answers
``signal/provide``. Refusals and failures are only logged, as in Neko: a missing peer, an
unknown stream or an SDP the peer refuses is ``EventFailed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError

from .. import errors
from ..config import Config
from ..desktop import guards
from ..events import ProfileChanged, SessionDeleted, SessionDisconnected, SettingsChanged
from ..sessions import rules
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import PointerKeyboard, RoomPart
from ..ws import protocol
from ..ws.messages import EventFailed
from ..ws.payloads import IceCandidateInit, PeerAudioRequest, PeerVideoRequest, SignalDescription, SignalRequest
from . import ice
from .adaptive import AutoQuality, rungs_by_bitrate
from .cursor import CursorWatcher
from .gathering import Candidates
from .input import DataChannelInput
from .legacy_input import V2ChannelInput
from .peer import Peer
from .stages import LEGACY_ID, Stages
from .stats import MediaCounters
from .turn import TurnRelay
from .viewer import Viewer, select

log = logging.getLogger(__name__)
# What aiortc raises for a description or candidate it cannot take (parsing, wrong state).
_REFUSED_BY_PEER = (ValueError, IndexError, InvalidAccessError, InvalidStateError, OperationError)
CURSORS_INTERVAL = 0.75
CAPTURE_GRACE = 3.0  # s of failing before /health says so: a burst of screen changes is no outage
REVOKE_DELAY = 1.0  # Neko kills the peer 1 s after can_watch/can_connect/can_login is taken away


class MediaManager(RoomPart):
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
        self.candidates = Candidates(config.webrtc)  # the mux, the port range, the public address
        self._desktop = config.desktop.enabled  # without one (n workers), no worker binds the mux's port
        # The bundled TURN relay runs beside the desktop, as the mux does.
        self.turn = TurnRelay(config) if config.webrtc.turn.enabled and self._desktop else None
        self._sessions = sessions
        self.stages = Stages(config.capture, display, pulse, legacy=config.legacy)
        self.counters = MediaCounters()  # what the peers sent and heard, for /metrics (media/metrics.py)
        self.viewers: dict[str, Viewer] = {}
        self._ticker: asyncio.Task[None] | None = None
        self.auto = AutoQuality(config.webrtc.estimator)  # signal/video's ``auto``: moved by the link
        self._adapter: asyncio.Task[None] | None = None
        self._display = display
        self._cursor: CursorWatcher | None = None
        self._closing: set[asyncio.Task[None]] = set()
        microphone = config.capture.microphone

        def mic_target() -> tuple[str, str] | None:
            server = pulse()
            return (server, microphone.device) if microphone.enabled and server else None

        self.input = DataChannelInput(sessions, pointer, lambda: self.viewers, mic_target)
        # Neko's v2 UI sends its input on a data channel of its own, read only with ``legacy``.
        self.v2_input = V2ChannelInput(sessions, pointer) if config.legacy else None
        bus = sessions.bus
        bus.subscribe(SettingsChanged, lambda e: self._apply_private_mode())
        bus.subscribe(ProfileChanged, self._on_profile)
        bus.subscribe(SessionDisconnected, self._on_gone)
        bus.subscribe(SessionDeleted, self._on_gone)

    def health(self) -> None:
        """Raises ``MediaCaptureFailing`` while a watched capture keeps failing (it is restarted meanwhile)."""
        problem = self.stages.failing(CAPTURE_GRACE)
        if problem is not None:
            raise errors.MediaCaptureFailing(problem)

    @property
    def video_ids(self) -> list[str]:
        return self.stages.ladder.ids

    @property
    def _hidden_ids(self) -> tuple[str, ...]:
        """Ids a client may ask for by name but that are not listed (Neko's ``legacy``)."""
        return (LEGACY_ID,) if self.stages.legacy else ()

    def init_fields(self, session: Session) -> dict[str, Any]:
        return {"webrtc": {"videos": self.video_ids}}

    # --- signal/* from clients ---

    def events(self) -> dict[str, Callable[[Session, Any], Awaitable[None]]]:
        """The client events the media handle (Neko's signalling)."""
        return {
            protocol.SIGNAL_REQUEST: self.request,
            protocol.SIGNAL_ANSWER: self.answer,
            protocol.SIGNAL_CANDIDATE: self.candidate,
            protocol.SIGNAL_OFFER: self.offer,
            protocol.SIGNAL_RESTART: self.restart,
            protocol.SIGNAL_VIDEO: self.video,
            protocol.SIGNAL_AUDIO: self.audio,
        }

    async def request(self, session: Session, payload: SignalRequest) -> None:
        guards.can_watch(session)
        self._watch_cursor()
        video, audio = payload.video or PeerVideoRequest(), payload.audio or PeerAudioRequest()
        video_id = select(self.stages.ladder, None, video.selector, self._hidden_ids)
        auto = self.auto.enabled and bool(video.auto)
        if auto and video.selector is None:
            video_id = self.auto.first_rung(self.stages.ladder, self._hidden_ids, video_id)
        if self._session(session.id) is None:
            raise EventFailed("signal/request: the session is gone")
        peer = Peer(
            self._ice,
            self.stages.ladder.codec,
            self.candidates,
            self._config.icelite,
            audio_codec=self.stages.audio_codec,
            low_latency=self.stages.low_latency,
            counters=self.counters,
        )
        viewer = Viewer(peer, video_id, bool(video.disabled), bool(audio.disabled), auto=auto)
        # One peer per session: the newest request takes the place at once (no await before it), and
        # whoever takes a viewer out of ``viewers`` closes it, so overlapping requests leave none open.
        previous, self.viewers[session.id] = self.viewers.get(session.id), viewer
        if previous is not None:
            await self._closed(session, previous)
        if self.viewers.get(session.id) is not viewer:
            return  # replaced meanwhile; the replacing request closed this one
        self._wire(session, viewer)
        self._route(session, viewer)
        trickle = self._trickle(session, viewer) if self._config.icetrickle else None
        sdp = await peer.offer(trickle)
        if self.viewers.get(session.id) is not viewer:
            await peer.close()  # replaced while gathering (closed already by the replacing request)
            return
        # No await from here to the provide: the trickled candidates must follow it.
        ice_servers, video, audio = self._ice_servers(session), viewer.video_state(), viewer.audio_state()
        session.send("signal/provide", {"sdp": sdp, "iceservers": ice_servers, "video": video, "audio": audio})

    def _ice_servers(self, session: Session) -> list[dict[str, Any]]:
        """``webrtc.iceservers.frontend``, and our relay with credentials of this session's own."""
        return self._frontend if self.turn is None else [*self._frontend, *self.turn.ice_servers(session.id)]

    async def answer(self, session: Session, payload: SignalDescription) -> None:
        viewer = self._viewer(session)
        with _refused_by_peer("answer"):
            await viewer.peer.accept_answer(payload.sdp)

    async def candidate(self, session: Session, payload: IceCandidateInit) -> None:
        viewer = self._viewer(session)
        with _refused_by_peer("candidate"):
            await viewer.peer.add_candidate(payload.candidate, payload.sdp_mid, payload.sdp_mline_index)

    async def offer(self, session: Session, payload: SignalDescription) -> None:
        viewer = self._viewer(session)
        with _refused_by_peer("offer"):
            sdp = await viewer.peer.answer_offer(payload.sdp)
        session.send("signal/answer", {"sdp": sdp})

    async def restart(self, session: Session, payload: None) -> None:
        viewer = self._viewer(session)
        with _refused_by_peer("ICE restart"):
            sdp = await viewer.peer.restart()
        session.send("signal/restart", {"sdp": sdp})

    async def video(self, session: Session, payload: PeerVideoRequest) -> None:
        viewer = self._viewer(session)
        before = viewer.video_state()
        viewer.video_id = select(self.stages.ladder, viewer.video_id, payload.selector, self._hidden_ids)
        if payload.disabled is not None:
            viewer.video_disabled = payload.disabled
        if payload.auto is not None:
            viewer.auto = self.auto.enabled and payload.auto  # without the estimator, Neko forces it off
        elif payload.selector is not None:
            viewer.auto = False  # a rung picked by hand
        self._route(session, viewer)
        if viewer.video_state() != before:
            session.send("signal/video", viewer.video_state())

    async def audio(self, session: Session, payload: PeerAudioRequest) -> None:
        viewer = self._viewer(session)
        if payload.disabled is not None and payload.disabled != viewer.audio_disabled:
            viewer.audio_disabled = payload.disabled
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
            raise EventFailed("webrtc peer does not exist")
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
        paused = rules.private_for(session.profile, self._sessions.settings)
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
        v2_input = self.v2_input
        if v2_input is not None:
            peer.pc.on(
                "datachannel", lambda channel: channel.on("message", lambda data: v2_input.received(session, data))
            )

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
        self._sessions.state.set_watching(session, watching)

    # --- the room's reactions ---

    def _apply_private_mode(self) -> None:
        settings = self._sessions.settings
        for session_id, viewer in self.viewers.items():
            session = self._session(session_id)
            paused = settings.private_mode if session is None else rules.private_for(session.profile, settings)
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

    async def startup(self) -> None:
        if self._desktop:
            await self.candidates.start()
        if self.turn is not None:
            await self.turn.start()
        self._ticker = asyncio.create_task(self._cursors())
        if self.auto.enabled:
            self._adapter = asyncio.create_task(self._adapting())

    async def _adapting(self) -> None:
        """Every ``webrtc.estimator.read_interval``: each ``auto`` viewer whose link asks for it moves a rung."""
        while True:
            await asyncio.sleep(self.auto.config.read_interval)
            order = rungs_by_bitrate(self.stages.ladder, self._hidden_ids)
            for session_id, video_id in list(self.auto.moves(self.viewers, order, time.monotonic())):
                session, viewer = self._session(session_id), self.viewers.get(session_id)
                if session is None or viewer is None:
                    continue
                viewer.video_id = video_id
                self._route(session, viewer)
                session.send("signal/video", viewer.video_state())

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

    async def shutdown(self) -> None:
        for task in (self._ticker, self._adapter):
            if task is not None:
                task.cancel()
        if self._cursor is not None:
            self._cursor.stop()
        for session_id in list(self.viewers):
            session = self._session(session_id)
            viewer = self.viewers.pop(session_id)
            await viewer.peer.close()
            if session is not None:
                self._watching(session, False)
        self.candidates.close()
        if self.turn is not None:
            await self.turn.stop()
        self.stages.stop()


@contextlib.contextmanager
def _refused_by_peer(what: str) -> Iterator[None]:
    try:
        yield
    except _REFUSED_BY_PEER as exc:
        raise EventFailed(f"the peer refused the {what}: {type(exc).__name__}: {exc}") from exc
