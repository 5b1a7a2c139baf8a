"""The media bench's viewers: counting viewers, a crowd in a process of its own, and a browser-like timer.

``install()`` changes two things in aiortc's receiver, for the process that calls it:

- a viewer's decoder can be replaced by a counter (``COUNTS``), so the client's own decoding
  cost does not cap what the server delivers; the queues in ``DECODE`` decode for real;
- a video frame is handed to the decoder when its last packet (the RTP marker bit) arrives, as a
  browser's packet buffer does. aiortc's own jitter buffer waits for a packet of the next frame,
  which would add up to one frame interval (40 ms at 25 fps) to every glass-to-glass figure.

A counted viewer's frames can also be logged as they arrive (``log_frames``): when, their own
timestamp, whether a keyframe.

The crowd (``python -m bench.media_clients URL COUNT``) holds the viewers that only add load, in
its own process: the timing viewer's event loop then handles its own packets only, as one
person's browser does, instead of queueing behind the crowd's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import websockets
from aiortc import jitterbuffer, rtcrtpreceiver

from tests.media.client import Viewer

PASSWORD = "bench"
COLOURS = [(230, 20, 20), (20, 20, 230)]  # painted in turn: each sample's colour differs from the last
NEUTRAL = (128, 128, 128)  # painted first: neither colour, whatever the screen showed before
DECODE: set[int] = set()  # ids of the track queues whose frames are decoded
COUNTS: dict[int, int] = {}
LOGS: dict[int, list[Received]] = {}  # track queue id -> the frames its counting worker received
_worker = rtcrtpreceiver.decoder_worker


@dataclass(frozen=True)
class Received:
    """A whole video frame, as it reached the (counting) decoder."""

    arrived: float  # time.monotonic()
    timestamp: int  # RTP, 90 kHz: the frame's grab time on the server (as sent: it wraps)
    key: bool
    width: int | None  # a VP8 keyframe's, from its header; None for the others
    size: int  # bytes
    decodes: bool  # whole, and so is every frame back to a keyframe (MarkerJitterBuffer)


def received(codec: Any, frame: Any) -> Received:
    data = frame.data
    # VP8 (RFC 6386 9.1): bit 0 of the frame tag is 0 on a keyframe, whose header holds the width.
    key = codec.name == "VP8" and len(data) >= 10 and not data[0] & 1
    width = int.from_bytes(data[6:8], "little") & 0x3FFF if key else None
    timestamp = getattr(frame, "rtp_timestamp", frame.timestamp)
    return Received(time.monotonic(), timestamp, key, width, len(data), getattr(frame, "decodes", True))


def _counting_worker(loop: Any, input_q: Any, output_q: Any, error: Any) -> None:
    if id(output_q) in DECODE:
        _worker(loop, input_q, output_q, error)
        return
    key = id(output_q)
    log = LOGS.get(key)
    while (task := input_q.get()) is not None:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        if log is not None:
            log.append(received(*task))


def starts_keyframe(packet: Any) -> bool:
    """A VP8 keyframe's first packet: the payload descriptor's S bit and partition 0 (RFC 7741 4.2), and the
    frame tag's key bit (RFC 6386 9.1) in what the depayloader left."""
    payload, data = packet.payload, getattr(packet, "_data", b"")
    return len(payload) > 0 and payload[0] & 0x17 == 0x10 and len(data) > 0 and not data[0] & 1


class MarkerJitterBuffer(jitterbuffer.JitterBuffer):
    """Video frames leave at their marker bit; without one (a lost last packet), at the next frame's first.

    A packet lost for good would hold every later frame back until the buffer overflows (aiortc's own
    buffer does so too, seconds behind on a lossy link, asking a keyframe at every packet); a browser
    jumps to the next whole keyframe and asks for one. So does this buffer: stuck behind a hole with a
    whole frame after it, it asks for a keyframe (at most every ``KEYFRAME_REQUEST_INTERVAL``) and skips
    to the first whole keyframe it holds. Each frame it lets out says whether it ``decodes``: it is whole
    and follows a frame that did, or is a whole keyframe."""

    at_marker = True  # False: aiortc's own behaviour, for the figure that shows the difference
    KEYFRAME_REQUEST_INTERVAL = 0.5  # s

    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
        super().__init__(capacity, prefetch, is_video)
        self._next: int | None = None  # the sequence number after the last frame let out
        self._decodes = False
        self._asked_at = float("-inf")
        self._ask = False

    def add(self, packet: Any) -> tuple[bool, jitterbuffer.JitterFrame | None]:
        if self._is_video and self.at_marker and self._origin is not None:
            behind = (self._origin - packet.sequence_number) % 65536
            if 0 < behind < 32768:
                return False, None  # a frame already let out or skipped (a late retransmission): aiortc would restart
        pli, frame = super().add(packet)
        ask, self._ask = self._ask, False
        return pli or ask, frame

    def _remove_frame(self, sequence_number: int) -> jitterbuffer.JitterFrame | None:
        if not self._is_video or not self.at_marker:
            return super()._remove_frame(sequence_number)
        span = self._span(0)
        if span is None:
            span = self._past_hole()
            if span is None:
                return None
        packets = [self._packets[(self._origin + i) % self.capacity] for i in range(span)]  # type: ignore[operator]
        return self._take(packets, span)

    def _span(self, start: int) -> int | None:
        """How many packets, ``start`` places past the origin, make a frame that is all here (its marker
        or the next frame's first packet seen); None while one is missing."""
        first = None
        for count in range(start, self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]  # type: ignore[operator]
            if packet is None:
                return None
            if first is not None and packet.timestamp != first.timestamp:
                return count - start
            first = first or packet
            if packet.marker:
                return count - start + 1
        return None

    def _past_hole(self) -> int | None:
        """Behind a hole: the span of the first whole keyframe after it, everything before it removed;
        None (a keyframe asked for, if a whole frame shows the hole is a loss) when there is none yet."""
        whole_after = False
        for start in range(1, self.capacity):
            packet = self._packets[(self._origin + start) % self.capacity]  # type: ignore[operator]
            before = self._packets[(self._origin + start - 1) % self.capacity]  # type: ignore[operator]
            if packet is None or (before is not None and before.timestamp == packet.timestamp):
                continue  # not where a frame (or what is left of one) starts
            span = self._span(start)
            if span is not None and starts_keyframe(packet):
                self.remove(start)
                return span
            whole_after = whole_after or span is not None
        now = time.monotonic()
        if whole_after and now - self._asked_at >= self.KEYFRAME_REQUEST_INTERVAL:
            self._asked_at, self._ask = now, True
        return None

    def _take(self, packets: list[Any], count: int) -> jitterbuffer.JitterFrame:
        self.remove(count)
        first, last = packets[0], packets[-1]
        follows = self._next is not None and first.sequence_number == self._next
        self._decodes = bool(last.marker) and (starts_keyframe(first) or (self._decodes and follows))
        self._next = (last.sequence_number + 1) % 65536
        frame = jitterbuffer.JitterFrame(data=b"".join(p._data for p in packets), timestamp=first.timestamp)
        frame.decodes = self._decodes  # type: ignore[attr-defined]
        frame.rtp_timestamp = first.timestamp  # type: ignore[attr-defined]  # the receiver rewrites ``timestamp``
        return frame


def install() -> None:
    """This process's aiortc receivers count instead of decoding (unless in ``DECODE``) and release at the marker."""
    rtcrtpreceiver.decoder_worker = _counting_worker  # type: ignore[assignment]
    rtcrtpreceiver.JitterBuffer = MarkerJitterBuffer  # type: ignore[misc]


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/api/ws"


async def viewers(
    base_url: str,
    count: int,
    *,
    per_peer: bool = False,
    decode: int = 0,
    sound: bool = False,
    readers: list[asyncio.Task[None]] | None = None,
) -> list[Viewer]:
    """``count`` logged-in viewers on ladder id p0 (per peer: p0, p1, ... one each), audio off unless ``sound``.
    With ``readers``, each viewer reads its events from when it watches (``read_events``), the tasks
    added to the list."""
    out = []
    for i in range(count):
        client = Viewer(base_url, ws_url(base_url))
        if i < decode:
            client.pc.on("track", lambda track: DECODE.add(id(track._queue)))
        await client.login(f"viewer{i}-{time.monotonic_ns()}", PASSWORD)
        rung = f"p{i}" if per_peer else "p0"
        await client.watch({"video": {"selector": {"type": "exact", "id": rung}}, "audio": {"disabled": not sound}})
        out.append(client)
        if readers is not None:
            readers += read_events([client])
    return out


def log_frames(client: Viewer) -> list[Received]:
    """The list ``client``'s video frames will be appended to as they arrive (call before it watches)."""
    log: list[Received] = []
    client.pc.on("track", lambda track: LOGS.__setitem__(id(track._queue), log) if track.kind == "video" else None)
    return log


def read_events(clients: list[Viewer]) -> list[asyncio.Task[None]]:
    """Tasks that read and drop each viewer's events, as a page does. A socket nobody reads fills
    websockets' queue, which then stops reading it, and so stops answering the server's pings: the
    server ends the session after its ping timeout, and the session's peer with it. Cancel them
    before closing the viewers."""

    async def read(client: Viewer) -> None:
        assert client.ws is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.ws.connection.recv()

    return [asyncio.ensure_future(read(client)) for client in clients]


async def stop_reading(readers: list[asyncio.Task[None]]) -> None:
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def frames_counted(client: Viewer) -> int:
    return COUNTS.get(id(client.tracks["video"]._queue), 0)  # type: ignore[attr-defined]


def centre_rgb(frame: Any) -> tuple[int, int, int]:
    """The decoded frame's centre pixel (BT.601, limited range), read from its planes: no full conversion."""
    y_plane, u_plane, v_plane = frame.planes
    row, col = frame.height // 2, frame.width // 2
    y = memoryview(y_plane)[row * y_plane.line_size + col] - 16
    u = memoryview(u_plane)[(row // 2) * u_plane.line_size + col // 2] - 128
    v = memoryview(v_plane)[(row // 2) * v_plane.line_size + col // 2] - 128
    rgb = (1.164 * y + 1.596 * v, 1.164 * y - 0.392 * u - 0.813 * v, 1.164 * y + 2.017 * u)
    return tuple(max(0, min(255, round(c))) for c in rgb)  # type: ignore[return-value]


def shows(frame: Any, rgb: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(centre_rgb(frame), rgb, strict=True)) <= 24


def between_paints(sample: int, frame_interval: float = 0.04) -> float:
    """The pause before paint ``sample + 1``: 0.1 s and a step of 13 ms modulo one frame interval.

    A sample ends when a frame arrives, so a fixed pause would start every paint at the same phase of
    the server's frame clock, and time the same point of it (right after a grab: the worst) each time.
    """
    return 0.1 + (sample * 0.013) % frame_interval


class Crowd:
    """``count`` viewers in a child process (on ``core``, else on this process's cores), until ``close``.

    ``wait=False`` returns at once: ``watching()`` then waits for the viewers, so that several crowds
    join at the same time. ``counted()`` asks the frames each viewer has counted and the process's CPU.
    ``yielding``: the crowd runs at a lower priority (nice 10) than the viewer being timed beside it, on
    the same cores here, where in a room the other viewers' machines are not its own.
    """

    def __init__(
        self, base_url: str, count: int, *, core: str | None = None, wait: bool = True, yielding: bool = False
    ) -> None:
        self._process: subprocess.Popen[str] | None = None
        if count:
            argv = [sys.executable, "-m", "bench.media_clients", base_url, str(count)]
            if yielding:
                argv = ["nice", "-n", "10", *argv]
            if core is not None:
                argv = ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv
            self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            if wait:
                self.watching()

    def watching(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        if self._process.stdout.readline().strip() != "watching":
            raise RuntimeError("the crowd's viewers did not start watching")

    def counted(self) -> tuple[list[int], float]:
        """The frames each viewer has counted so far, and the CPU seconds the crowd's process has used."""
        assert self._process is not None and self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("count\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        return answer["frames"], answer["cpu"]

    def close(self) -> None:
        if self._process is not None:
            self._process.communicate(timeout=60)  # stdin closed: the crowd leaves
            self._process = None


async def _crowd(base_url: str, count: int) -> None:
    readers: list[asyncio.Task[None]] = []
    clients = await viewers(base_url, count, readers=readers)
    print("watching", flush=True)
    while await asyncio.to_thread(sys.stdin.readline):  # a line asks for the counts; the end, to leave
        frames = [frames_counted(client) for client in clients]
        print(json.dumps({"frames": frames, "cpu": time.process_time()}), flush=True)
    await stop_reading(readers)
    for client in clients:
        await client.close()


if __name__ == "__main__":
    install()
    asyncio.run(_crowd(sys.argv[1], int(sys.argv[2])))
