"""One RTMP push: the screen as H.264 (libx264) and the sound as AAC, muxed into FLV by PyAV.

Everything here blocks and runs in the push's own threads: the video thread
grabs, encodes and sends; an audio thread, when there is sound, reads PCM and
sends AAC. The FLV goes to the RTMP server through an ffmpeg child
(``rtmp_sender``). A screen switch reconnects with the new size, as Neko
rebuilds its pipeline. Any send that fails ends the push and is reported
through ``on_end``.
"""

from __future__ import annotations

import contextlib
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
from .rtmp_sender import RtmpSender
from .screengrab import Frame, Pacer, Resized, ScreenGrabber, take

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds the RTMP server has to take the stream (ffmpeg probes ours first)
CONNECT_POLL = 0.05
KEYFRAME_INTERVAL = 15  # frames, Neko's key-int-max
AUDIO_CHUNK = 1024 * CHANNELS * BYTES_PER_SAMPLE  # one AAC frame of samples
JOIN_TIMEOUT = 5.0
RECONNECT_TIMEOUT = 5.0  # after a screen switch
RECONNECT_PAUSE = 0.2


def safe_url(url: str) -> str:
    """The URL without its path: stream keys live there and are not for logs."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        return f"{url.partition(':')[0]}://(unparsable)/..."
    return f"{parts.scheme}://{parts.netloc}/..."


def reason(exc: BaseException) -> str:
    """What went wrong, without the URL (FFmpeg's messages may name it, stream key included)."""
    strerror = getattr(exc, "strerror", None)  # OSError and PyAV's FFmpegError
    if strerror:
        return str(strerror).lower()
    if isinstance(exc, ConnectionError | TimeoutError) and exc.args:
        return str(exc.args[0])  # ours, from rtmp_sender or the connect loop
    return type(exc).__name__


class _Output:
    """One FLV connection with its encoders; callers hold the push's lock around every call."""

    def __init__(self, url: str, size: tuple[int, int], config: BroadcastConfig, audio: bool) -> None:
        self.started = time.monotonic()
        self.sender = RtmpSender(url)
        # Every packet goes out at once: a still screen makes packets of a few bytes.
        self.container = av.open(self.sender, "w", format="flv", container_options={"flush_packets": "1"})
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
        self._mux(self.video.encode(picture))

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
            self._mux(self.audio.encode(resampled))

    def _mux(self, packets: list[av.Packet]) -> None:
        try:
            self.container.mux(packets)
        except (OSError, av.error.FFmpegError):
            # The pipe broke because ffmpeg gave up: say why. A write after the other thread's
            # broken one fails with FFmpeg's remembered error instead (a PyAVCallbackError).
            if self.sender.ended(wait=1.0):
                raise ConnectionError(self.sender.failure()) from None
            raise

    def close(self, *, flush: bool) -> None:
        """``flush``: the encoders' last frames and the trailer go out before the stream ends."""
        try:
            if flush:
                self.container.mux(self.video.encode(None))
                if self.audio is not None:
                    self.container.mux(self.audio.encode(None))
                self.container.close()
        finally:
            if flush:
                self.sender.close()
            else:
                self.sender.kill()
                with contextlib.suppress(Exception):  # the trailer has nowhere to go
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
        self._connecting: _Output | None = None
        self._sound: AudioStream | None = None
        self._threads: list[threading.Thread] = []
        self._size_changed = threading.Event()
        self.with_audio = False
        self.last_sent = time.monotonic()  # when a video frame last went out (the manager's stall check)

    def connect(self) -> None:
        """Blocking: returns once the RTMP server took the stream; raises why it did not."""
        try:
            self._grabber = ScreenGrabber(self.display)
            self._sound = self._audio_source.open() if self._audio_source is not None else None
            self.with_audio = self._sound is not None
            if self.with_audio:  # the RTMP side wants to see both streams before it connects
                self._threads.append(threading.Thread(target=self._run_audio, name="broadcast-audio", daemon=True))
                self._threads[-1].start()
            self._output = self._open_at_the_current_size()
        except BaseException:
            self._stop.set()
            self._release()
            raise
        self.last_sent = time.monotonic()

    def _open_at_the_current_size(self) -> _Output:
        """The first stream; a screen switched while it connects starts it again at the new size."""
        assert self._grabber is not None
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                return self._open(self._grabber.size, max(deadline - time.monotonic(), CONNECT_POLL))
            except Resized:
                log.info("broadcast: the screen switched while connecting; connecting at the new size")

    def abandon(self) -> None:
        """Give up without waiting: a connect or a send that is stuck ends (its ffmpeg is killed)."""
        self._stop.set()
        output = self._connecting or self._output
        if output is not None:
            output.sender.kill()

    def _open(self, size: tuple[int, int], timeout: float) -> _Output:
        """A new stream, sent its first frame (again every so often) until the RTMP server takes it."""
        assert self._grabber is not None
        output = self._connecting = _Output(self.url, size, self.config, audio=self.with_audio)
        deadline, next_frame = time.monotonic() + timeout, 0.0
        try:
            while not output.sender.connected():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the RTMP server did not answer within {timeout:.0f} s")
                if time.monotonic() >= next_frame:
                    frame = self._grabber.grab()
                    with self._lock:
                        output.send_video(frame)
                    next_frame = time.monotonic() + 1 / self.config.fps
                if self._stop.wait(CONNECT_POLL):
                    raise self._interrupted()
        except BaseException:
            with self._lock:
                self._connecting = None
                output.close(flush=False)
            raise
        with self._lock:
            self._connecting = None
        return output

    def _interrupted(self) -> Exception:
        """Why a connect ends early: the failure the sound's thread met first (it writes to the same
        ffmpeg, so it may see it end before this thread does), else the manager abandoned it."""
        if self._error is not None:
            return ConnectionError(self._error)
        return ConnectionAbortedError("abandoned")

    def start(self) -> None:
        self._threads.append(threading.Thread(target=self._run_video, name="broadcast-video", daemon=True))
        self._threads[-1].start()

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
                self.last_sent = time.monotonic()
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
                    target = self._output or self._connecting
                    if target is not None and not self._stop.is_set():
                        target.send_audio(pcm)
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
        while True:
            try:
                output = self._open(size, CONNECT_TIMEOUT)
                break
            except Resized:  # switched again meanwhile
                assert self._grabber is not None
                size = self._grabber.size
            except (ConnectionError, TimeoutError):
                if time.monotonic() > deadline or self._stop.wait(RECONNECT_PAUSE):
                    raise
        with self._lock:
            self._output = output

    def _fail(self, exc: Exception) -> None:
        if self._error is None and not self._stop.is_set():
            self._error = reason(exc)

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
