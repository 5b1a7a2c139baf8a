"""One video rung: the screen grabbed when it changes (X damage), at most at the rung's fps, encoded once.

Everything here runs in the stage's own thread; the event loop only receives packets. A frame is
grabbed as soon as the screen changed and the rung's frame interval since the last grab has passed,
so a change is sent at once and an idle desktop costs no grab and no encode. One more frame follows
the last change of a burst, a frame interval later: the rate control spends what it saved on the
static screen to sharpen it, and receivers that hand a frame to their decoder only when the next one
begins (aiortc's jitter buffer does) show the last change too. Per frame: one XShm grab
(no copy), one BGRX->I420 conversion into a reused picture (yuv.py), one encode reading that picture
in place (encoders.py). Packets carry a 90 kHz timestamp from one monotonic clock taken at the grab,
so a viewer switching rungs sees time go on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..config import Rung
from .encoders import open_encoder
from .fanout import Fanout
from .pointer_overlay import PointerOverlay
from .vpx import Tuning
from .xcapture import CaptureError, ScreenCapture
from .yuv import I420, Converter

log = logging.getLogger(__name__)

KEYFRAME_INTERVAL = 2.0  # seconds while frames flow: a lost keyframe heals without a PLI even so
ESTIMATE_LIFETIME = 5.0  # s: receivers send REMB about once a second while they receive
ESTIMATE_WALK = 1.0  # s: how often the slowest live estimate is looked for again (the rate may rise)
IDLE_WAIT = 1.0  # s: how long a wait for damage lasts before the loop looks at ``stop`` again


class VideoStage(Fanout):
    def __init__(
        self,
        rung: Rung,
        codec: str,
        display: Callable[[], str | None],
        loop: asyncio.AbstractEventLoop,
        tuning: Tuning | None = None,
        draw_pointer: bool = False,
    ) -> None:
        super().__init__(f"video-{rung.id}", loop)
        self.rung = rung
        self.draw_pointer = draw_pointer  # for clients without a cursor of their own (pointer_overlay.py)
        self.codec = codec
        self.tuning = tuning
        self._display = display
        self._keyframe = threading.Event()
        self._capture: ScreenCapture | None = None
        self._capture_lock = threading.Lock()
        self.bitrate = rung.bitrate * 1000  # bit/s, moved by receivers' feedback
        self._estimates: dict[int, tuple[int, float]] = {}  # id(receiver) -> (REMB bit/s, when)
        self._walked = float("-inf")  # monotonic: when the estimates were last walked (the first report walks)
        self.frames = 0
        self.keyframes = 0
        self.cpu_seconds = 0.0  # the CPU time this stage's thread spent on its frames: grab, convert, encode
        self.encoder: Any = None  # the running encoder, for its counters

    def request_keyframe(self) -> None:
        self._keyframe.set()
        self.interrupt()

    def set_bitrate(self, bitrate: int) -> None:
        """A new target (bit/s) within the rung's bounds; the running encoder takes it at its next frame."""
        self.bitrate = max(self.rung.min_bitrate * 1000, min(bitrate, self.rung.max_bitrate * 1000))

    def feedback(self, receiver: object, bitrate: int) -> None:
        """A receiver's estimate (REMB). The rung follows its slowest receiver, within the rung's
        bounds; an estimate not renewed for ``ESTIMATE_LIFETIME`` (a receiver gone) no longer counts.

        Every receiver reports about once a second, so walking all the estimates at each report would
        cost N x N a second: an estimate below the rate takes effect at once (it is the new slowest),
        and the walk that lets the rate rise again runs at most every ``ESTIMATE_WALK``."""
        now = time.monotonic()
        estimates = self._estimates
        estimates[id(receiver)] = (bitrate, now)
        if bitrate < self.bitrate:
            self.set_bitrate(bitrate)
        if now - self._walked < ESTIMATE_WALK:
            return
        self._walked = now
        for key in [k for k, (_, at) in estimates.items() if now - at > ESTIMATE_LIFETIME]:
            del estimates[key]
        self.set_bitrate(min(rate for rate, _ in estimates.values()))

    def screen_changed(self) -> None:
        """The grab follows the screen's size by itself; this only makes the next grab come at once."""
        self.request_keyframe()

    def interrupt(self) -> None:
        with self._capture_lock:
            if self._capture is not None:
                self._capture.wake()

    def produce(self, stop: threading.Event, emit: Callable[[Any], None]) -> None:
        display = self._display()
        if display is None:
            raise CaptureError("no display to capture")
        capture = ScreenCapture(display)
        with self._capture_lock:
            self._capture = capture
        overlay = PointerOverlay(display) if self.draw_pointer else None
        try:
            self._loop_frames(capture, overlay, stop, emit)
        finally:
            with self._capture_lock:
                self._capture = None
            capture.close()
            if overlay is not None:
                overlay.close()

    def _loop_frames(
        self, capture: ScreenCapture, overlay: PointerOverlay | None, stop: threading.Event, emit: Callable[[Any], None]
    ) -> None:
        converter = Converter()
        interval = 1.0 / self.rung.fps
        encoder: Any = None
        picture: I420 | None = None
        next_grab = last_key = 0.0
        tail_at: float | None = None  # when the frame after the last change is due
        try:
            while not stop.is_set():
                now = time.monotonic()
                # The pointer's moves make no damage: with an overlay, it is looked at every frame interval.
                moved = overlay is not None and overlay.moved()
                changed = capture.damaged or self._keyframe.is_set() or moved
                if not changed and (tail_at is None or now < tail_at):
                    wait = IDLE_WAIT if tail_at is None else tail_at - now
                    capture.wait(min(wait, interval) if overlay is not None else wait)
                    continue
                if now < next_grab:
                    capture.sleep_until(next_grab)
                    continue
                tail_at = None
                began = time.thread_time()
                grabbed_at = time.monotonic()
                screen = capture.grab()
                if overlay is not None:
                    overlay.draw(screen)
                size = self.rung.size(screen.shape[1], screen.shape[0])
                if encoder is None or (encoder.width, encoder.height) != size:
                    if encoder is not None:
                        encoder.close()
                    encoder = self.encoder = open_encoder(self.codec, *size, self.rung.fps, self.bitrate, self.tuning)
                    picture = I420(*size)
                    self._keyframe.set()  # a new encoder starts with one anyway
                assert picture is not None
                converter.convert(screen, picture)
                key = self._keyframe.is_set() or grabbed_at - last_key > KEYFRAME_INTERVAL
                if key:
                    self._keyframe.clear()
                    last_key = grabbed_at
                encoder.set_bitrate(self.bitrate)
                for packet in encoder.encode(picture, int(grabbed_at * 90000), key):
                    self.keyframes += bool(packet.is_keyframe)
                    emit(packet)
                self.frames += 1
                self.cpu_seconds += time.thread_time() - began
                next_grab = grabbed_at + interval
                if changed:
                    tail_at = next_grab
        finally:
            if encoder is not None:
                encoder.close()
