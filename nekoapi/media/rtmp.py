"""One RTMP push: the screen as H.264 (libx264) and the sound as AAC, muxed into FLV by PyAV.

Everything here blocks and runs in the push's own threads: the video thread
grabs, encodes and sends; an audio thread, when there is sound, reads PCM and
sends AAC. A screen switch reconnects with the new size, as Neko rebuilds its
pipeline. Any send that fails ends the push and is reported through ``on_end``.
"""

from __future__ import annotations

import fractions
import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import av

from ..config import BroadcastConfig
from ..types import AudioSource, AudioStream
from .pulse_monitor import BYTES_PER_SAMPLE, CHANNELS, SAMPLE_RATE
from .screengrab import Frame, Pacer, Resized, ScreenGrabber, take

log = logging.getLogger(__name__)

# Seconds a connect or a send may block before the push counts as failed.
IO_TIMEOUT = 5.0
KEYFRAME_INTERVAL = 15  # frames, Neko's key-int-max
AUDIO_CHUNK = 1024 * CHANNELS * BYTES_PER_SAMPLE  # one AAC frame of samples
JOIN_TIMEOUT = 5.0
RECONNECT_TIMEOUT = 5.0  # after a screen switch
RECONNECT_PAUSE = 0.2


def safe_url(url: str) -> str:
    """The URL without its path: stream keys live there and are not for logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..."


class _Output:
    """One FLV connection with its encoders; callers hold the push's lock around every call."""

    def __init__(self, url: str, size: tuple[int, int], config: BroadcastConfig, audio: bool) -> None:
        self.started = time.monotonic()
        self.container = av.open(url, "w", format="flv", timeout=IO_TIMEOUT)
        self.fps = config.fps
        self.video = self.container.add_stream("libx264", rate=config.fps)
        self.video.width, self.video.height = size[0] - size[0] % 2, size[1] - size[1] % 2  # yuv420p needs even
        self.video.pix_fmt = "yuv420p"
        self.video.bit_rate = config.video_bitrate * 1000
        self.video.options = {"preset": config.preset, "tune": "zerolatency", "g": str(KEYFRAME_INTERVAL)}
        self.audio = self.container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo") if audio else None
        if self.audio is not None:
            self.audio.bit_rate = config.audio_bitrate * 1000
        self._resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        self._last_pts = -1
        self._samples = 0

    def send_video(self, frame: Frame) -> None:
        picture = av.VideoFrame(frame.width, frame.height, "bgra")
        picture.planes[0].update(frame.bgra)
        if (frame.width, frame.height) != (self.video.width, self.video.height):
            picture = picture.reformat(self.video.width, self.video.height)
        # Timestamps follow the clock, so a slow grab stretches frames instead of speeding time up.
        self._last_pts = max(self._last_pts + 1, round((time.monotonic() - self.started) * self.fps))
        picture.pts, picture.time_base = self._last_pts, fractions.Fraction(1, self.fps)
        self.container.mux(self.video.encode(picture))

    def send_audio(self, pcm: bytes) -> None:
        if self.audio is None:
            return
        if self._samples == 0:  # sound that starts late starts at its time, not at zero
            self._samples = round((time.monotonic() - self.started) * SAMPLE_RATE)
        count = len(pcm) // (CHANNELS * BYTES_PER_SAMPLE)
        chunk = av.AudioFrame(format="s16", layout="stereo", samples=count)
        chunk.planes[0].update(pcm[: count * CHANNELS * BYTES_PER_SAMPLE])
        chunk.sample_rate, chunk.pts, chunk.time_base = SAMPLE_RATE, self._samples, fractions.Fraction(1, SAMPLE_RATE)
        self._samples += count
        for resampled in self._resampler.resample(chunk):
            self.container.mux(self.audio.encode(resampled))

    def close(self, *, flush: bool) -> None:
        try:
            if flush:
                self.container.mux(self.video.encode(None))
                if self.audio is not None:
                    self.container.mux(self.audio.encode(None))
        finally:
            self.container.close()


class RtmpPush:
    """The screen of ``display`` pushed to ``url`` until ``stop`` or a failure."""

    def __init__(
        self,
        url: str,
        display: str,
        config: BroadcastConfig,
        audio: AudioSource | None,
        on_end: Callable[[str | None], None],
    ) -> None:
        self.url, self.display, self.config = url, display, config
        self._audio_source = audio
        self._on_end = on_end  # called once, from a push thread: None after stop(), else the failure
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: str | None = None
        self._grabber: ScreenGrabber | None = None
        self._output: _Output | None = None
        self._sound: AudioStream | None = None
        self._threads: list[threading.Thread] = []
        self._size_changed = threading.Event()
        self.with_audio = False

    def connect(self) -> None:
        """Blocking: grab the first frame and send it, so a refused connection is known now."""
        try:
            self._grabber = ScreenGrabber(self.display)
            self._sound = self._audio_source.open() if self._audio_source is not None else None
            self.with_audio = self._sound is not None
            self._output = _Output(self.url, self._grabber.size, self.config, audio=self.with_audio)
            self._output.send_video(self._grabber.grab())
        except Exception:
            self._release()
            raise

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._run_video, name="broadcast-video", daemon=True)]
        if self.with_audio:
            self._threads.append(threading.Thread(target=self._run_audio, name="broadcast-audio", daemon=True))
        for thread in self._threads:
            thread.start()

    def screen_changed(self) -> None:
        """The screen was switched: read its size before the next frame (not up to a second later)."""
        self._size_changed.set()

    def stop(self) -> None:
        """Blocking: ends the push and waits for its threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)

    def _run_video(self) -> None:
        assert self._grabber is not None
        pacer = Pacer(self.config.fps, self._stop)
        try:
            while pacer.wait():
                if self._grabber.resized(now=take(self._size_changed)):
                    self._reconnect(self._grabber.size)
                try:
                    frame = self._grabber.grab()
                except Resized:
                    self._reconnect(self._grabber.size)
                    continue
                with self._lock:
                    assert self._output is not None
                    self._output.send_video(frame)
        except Exception as exc:
            self._fail(exc)
        finally:
            self._stop.set()
            self._release()
            self._on_end(self._error)

    def _run_audio(self) -> None:
        sound = self._sound
        assert sound is not None
        try:
            while not self._stop.is_set():
                pcm = sound.read(AUDIO_CHUNK)
                if not pcm:
                    if not self._stop.is_set():
                        log.warning("broadcast audio ended (parec exited); the video goes on")
                    return
                with self._lock:
                    if self._output is not None and not self._stop.is_set():
                        self._output.send_audio(pcm)
        except Exception as exc:
            self._fail(exc)
            self._stop.set()

    def _reconnect(self, size: tuple[int, int]) -> None:
        """A new stream at the new size; RTMP servers that end a stream may take a moment to take the next."""
        log.info("broadcast: screen is now %dx%d, reconnecting to %s", *size, safe_url(self.url))
        with self._lock:
            if self._output is not None:
                self._output.close(flush=True)
            self._output = None
        deadline = time.monotonic() + RECONNECT_TIMEOUT
        assert self._grabber is not None
        while True:
            output = _Output(self.url, size, self.config, audio=self.with_audio)
            try:
                output.send_video(self._grabber.grab())
                break
            except Resized:  # switched again meanwhile
                output.container.close()
                size = self._grabber.size
            except (OSError, EOFError):  # PyAV's connection errors derive from these
                output.container.close()
                if time.monotonic() > deadline or self._stop.wait(RECONNECT_PAUSE):
                    raise
        with self._lock:
            self._output = output

    def _fail(self, exc: Exception) -> None:
        if self._error is None and not self._stop.is_set():
            self._error = f"{type(exc).__name__}: {exc}"

    def _release(self) -> None:
        """Closes whatever is open; the stream's tail is sent only after a clean stop."""
        sound, self._sound = self._sound, None
        if sound is not None:
            sound.close()  # unblocks the audio thread's read
        with self._lock:
            if self._output is not None:
                try:
                    self._output.close(flush=self._error is None)
                except Exception as exc:
                    log.debug("broadcast: closing the connection failed: %s", exc)
                self._output = None
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None
