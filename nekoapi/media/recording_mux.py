"""A recording's writer thread: encoded packets in, WebM or MP4 segments out (PyAV), nothing decoded or encoded.

The event loop only hands packets to a bounded queue (``offer``); this thread muxes and writes. Video and
audio carry timestamps of one monotonic clock (the stages take them at the grab and at the first sample),
so both are placed on the segment's time line by subtracting the time of the segment's first keyframe.
A segment ends when the screen's size changes (the next keyframe has another size): a container keeps one
size per stream, so the next segment starts at that keyframe. Each video packet is held until the next
one arrives, to give it its duration: a still screen sends no frames, yet its last picture lasts.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import queue
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

log = logging.getLogger(__name__)

VIDEO_CLOCK = Fraction(1, 90000)
QUEUE_LIMIT = 256  # packets (~3 s of video and audio): a writer further behind drops to the next keyframe
VP8_START_CODE = b"\x9d\x01\x2a"


@dataclass(frozen=True)
class Item:
    kind: str  # "video" or "audio"
    data: Any  # bytes(data) is the packet
    pts: int  # in ``clock``
    clock: Fraction
    key: bool
    size: tuple[int, int] | None = None  # a video keyframe's picture size


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """A VP8 keyframe's width and height, from its uncompressed header."""
    if len(data) < 10 or data[3:6] != VP8_START_CODE:
        return None
    width, height = struct.unpack_from("<HH", data, 6)
    return width & 0x3FFF, height & 0x3FFF


def _template(codec: str, keyframe: bytes, size: tuple[int, int]) -> av.container.InputContainer:
    """An in-memory input holding the keyframe: its stream describes the video to the muxer."""
    if codec == "vp8":
        header = b"DKIF" + struct.pack("<HHIHHIIII", 0, 32, 0x30385056, size[0], size[1], 90000, 1, 1, 0)
        return av.open(io.BytesIO(header + struct.pack("<IQ", len(keyframe), 0) + keyframe), format="ivf")
    return av.open(io.BytesIO(keyframe), format="h264")


class Segment:
    """One file: the video stream described by its first keyframe, and Opus audio when there is sound."""

    def __init__(self, path: Path, container: str, codec: str, first: Item, audio: bool) -> None:
        self.path = path
        self.size = first.size
        self.start = first.pts * first.clock  # s on the stages' clock
        self.end = self.start
        data = bytes(first.data)
        # What is muxed reaches the file within a second (WebM: a cluster each half second), so the size shown
        # is the file's and a full disk shows at once; the muxer waits at most a quarter second for a stream
        # that is silent (a suspended sound card sends nothing).
        options = {"flush_packets": "1", "max_interleave_delta": "250000"}
        if container == "webm":
            options["cluster_time_limit"] = "500"
        self._output = av.open(str(path), "w", format=container, container_options=options)
        try:
            with _template(codec, data, first.size or (0, 0)) as template:
                self._video = self._output.add_stream_from_template(template.streams.video[0])
            self._audio = self._output.add_stream("libopus", rate=48000, layout="stereo") if audio else None
        except BaseException:
            self._output.close()
            raise
        self._held: tuple[bytes, Item] | None = (data, first)
        self._latest: dict[str, Fraction | None] = {"video": self.start, "audio": None}  # s: the latest muxed

    def add(self, item: Item) -> None:
        at = item.pts * item.clock
        latest = self._latest[item.kind]
        if at < self.start or (latest is not None and at <= latest):
            return  # sound from before the first picture, or a stage that started again with an older time
        self._latest[item.kind] = at
        if item.kind == "audio":
            if self._audio is not None:
                self._write(self._audio, bytes(item.data), item, None)
            return
        if self._held is not None:
            data, held = self._held
            self._write(self._video, data, held, at - held.pts * held.clock)
        self._held = (bytes(item.data), item)
        self.end = max(self.end, at)

    def close(self, until: float | Fraction) -> None:
        """Writes the held picture, lasting until ``until`` (s on the stages' clock), and the trailer."""
        try:
            if self._held is not None:
                data, held = self._held
                self._held = None
                self._write(self._video, data, held, max(until - held.pts * held.clock, Fraction(1, 100)))
                self.end = max(self.end, Fraction(until))
        finally:
            self._output.close()

    def _write(self, stream: Any, data: bytes, item: Item, duration: Fraction | None) -> None:
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = item.clock
        packet.pts = packet.dts = round((item.pts * item.clock - self.start) / item.clock)
        if duration is not None:
            packet.duration = max(round(duration / item.clock), 1)
        packet.is_keyframe = item.key
        self._output.mux_one(packet)
        self.end = max(self.end, item.pts * item.clock)


class Writer:
    """Runs the segments of one recording in a thread; ``on_end(error)`` is called from it once, at the end."""

    def __init__(
        self,
        name_segment: Callable[[int], Path],
        container: str,
        codec: str,
        audio: bool,
        on_segment: Callable[[Path], None],
        on_end: Callable[[str | None], None],
    ) -> None:
        self._name_segment = name_segment
        self._container, self._codec, self._audio = container, codec, audio
        self._on_segment, self._on_end = on_segment, on_end
        self._queue: queue.Queue[Item | None] = queue.Queue(QUEUE_LIMIT)
        self._segment: Segment | None = None
        self.segments = 0
        self.written = 0  # bytes of the finished segments
        self.dropped = 0  # packets the writer could not keep up with
        self.error: str | None = None  # why the recording ended on its own
        self._began: Fraction | None = None  # s on the stages' clock: the first segment's start
        self._ended_at = Fraction(0)  # s on the stages' clock: the end of the last segment closed
        self._thread = threading.Thread(target=self._run, name="recording-writer", daemon=True)

    @property
    def bytes(self) -> int:
        segment = self._segment
        current = 0
        if segment is not None:
            with contextlib.suppress(OSError):
                current = segment.path.stat().st_size
        return self.written + current

    @property
    def duration(self) -> float:
        """Seconds from the first picture to the latest packet muxed, every segment together."""
        if self._began is None:
            return 0.0
        segment = self._segment
        return float((segment.end if segment is not None else self._ended_at) - self._began)

    def start(self) -> None:
        self._thread.start()

    def offer(self, item: Item) -> bool:
        """From the event loop; False when the queue is full (the packet is dropped)."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def finish(self) -> None:
        """Blocking: the queued packets are written, the segment closed, the thread ended."""
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self._take(item)
        except Exception as exc:
            self.error = _failed(exc)
        try:
            self._close(time.monotonic(), quiet=self.error is not None)
        except Exception as exc:  # the trailer did not fit on the disk, say
            self.error = _failed(exc)
        self._on_end(self.error)

    def _take(self, item: Item) -> None:
        if item.kind == "video" and item.key and self._segment is not None and _resized(self._segment.size, item.size):
            self._close(item.pts * item.clock, quiet=False)  # the screen's size changed: a new segment
        if self._segment is None:
            if item.kind != "video" or not item.key:
                return  # a segment starts at a keyframe
            self.segments += 1
            path = self._name_segment(self.segments)
            self._segment = Segment(path, self._container, self._codec, item, self._audio)
            if self._began is None:
                self._began = self._segment.start
            self._on_segment(path)
            return
        self._segment.add(item)

    def _close(self, until: float | Fraction, *, quiet: bool) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        try:
            segment.close(Fraction(until).limit_denominator(90000) if until > segment.end else segment.end)
        except (OSError, av.error.FFmpegError):
            if not quiet:
                raise
        self._ended_at = segment.end
        with contextlib.suppress(OSError):
            self.written += segment.path.stat().st_size


def _resized(before: tuple[int, int] | None, after: tuple[int, int] | None) -> bool:
    return before is not None and after is not None and before != after


def _failed(exc: Exception) -> str:
    if isinstance(exc, OSError | av.error.FFmpegError):
        error = _why(exc)
        log.error("recording stopped: %s", error)
        return error
    log.exception("recording stopped")  # a bug of ours: the recording ends, the server goes on
    return f"{type(exc).__name__}: {exc}"


def _why(exc: BaseException) -> str:
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return "the disk is full"
    return str(getattr(exc, "strerror", None) or exc).lower()
