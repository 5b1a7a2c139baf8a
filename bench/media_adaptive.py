"""An ``auto`` viewer whose link drops to 1 Mbit/s: how soon it plays at >= 20 fps again, and what keyframes
it costs.

One aiortc viewer on a host of its own (a network namespace, tests/support/netns.py, as root) asks for
``auto`` on the media bench's server (``nekoapi serve`` as ``make run`` starts it) with two rungs that
cannot bend, 'main' (640x360, 2 Mbit/s) and 'low' (320x180, 600 kbit/s), as tests/media/test_auto_quality.py
has them; two tiles of noise change on screen 25 times a second, so 'main' spends its whole bitrate. The
link is clear for ``CLEAR`` s (the reference), shaped to 1 Mbit/s (``tc tbf``) for ``SHAPED`` s, then clear
until the server has put the viewer back on 'main' for ``HOLD`` s.

The viewer's frames that would decode (whole, back to a keyframe: bench/media_clients.py's buffer, which
skips a lost packet's frames to the next keyframe as a browser does; not decoded) are counted by their own
timestamps, the server's grab clock, so a lost one counts for none; how late they came (beside the least
delay of the run) is shown too. Keyframes: those the viewer received whole, and those the server encoded
(its /metrics, every rung: with one viewer, each a keyframe sent to it). The server's moves are timed as
the viewer hears them, on its WebSocket: over the same narrow link.
``python -m bench.media_adaptive`` runs this part alone.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from bench.media_clients import PASSWORD, Received, log_frames, ws_url
from tests.media.client import Viewer
from tests.media.desktop import Painter, paint_noise
from tests.media.server import RIGID_LADDER
from tests.support.metrics import parse, value
from tests.support.netns import RemoteHost, namespace, shape

CLEAR, SHAPED, HOLD = 10.0, 15.0, 4.0  # s
RATE = "1mbit"
TARGET_FPS, TARGET_RECOVERY = 20.0, 3.0
SUSTAIN = 5.0  # s the frame rate has to stay at the target for it to count as back
STORM = 2.0  # keyframes per minute over this many times the clear link's, in a phase: a storm
STEP = 0.1  # s between the starts of two 1-s windows
CLOCK = 90000  # RTP video clock (Hz)
WIDTHS = {spec["width"]: rung for rung, spec in RIGID_LADDER.items()}


class Served(Protocol):
    url: str

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Counted:
    """The server's counters (/metrics) over a phase."""

    keyframes: int  # encoded, every rung
    asked: int  # keyframe requests heard from viewers (PLI and FIR)

    def __sub__(self, other: Counted) -> Counted:
        return Counted(self.keyframes - other.keyframes, self.asked - other.asked)


@dataclass(frozen=True)
class Run:
    """What one viewer's run gave: its frames, the server's moves, and when the link changed (monotonic s)."""

    frames: list[Received]
    moves: list[tuple[float, str]]  # (when the viewer heard it, rung id), the first one where it started
    started: float
    dropped: float
    returned: float
    ended: float
    counted: tuple[Counted, Counted, Counted]  # clear, shaped, after the return


def timeline(frames: Sequence[Received]) -> list[tuple[float, Received]]:
    """Each frame with its grab time on the viewer's clock (monotonic s): its timestamp, shifted by the
    least delay any frame had on its way. In grab order."""
    grabbed: list[float] = []
    ticks, raw = 0, None
    for frame in frames:  # as they arrived; the timestamps unwrapped by the signed step from the last one
        ticks += 0 if raw is None else (frame.timestamp - raw + 2**31) % 2**32 - 2**31
        raw = frame.timestamp
        grabbed.append(ticks / CLOCK)
    offset = min(f.arrived - at for f, at in zip(frames, grabbed, strict=True))
    return sorted(((at + offset, f) for f, at in zip(frames, grabbed, strict=True)), key=lambda pair: pair[0])


def window_counts(dues: Sequence[float], start: float, end: float, step: float = STEP) -> list[int]:
    """Frames in each 1-s window [start + k * step, + 1 s) that ends by ``end``."""
    counts = []
    at = start
    while at + 1.0 <= end + 1e-9:
        counts.append(bisect.bisect_left(dues, at + 1.0) - bisect.bisect_left(dues, at))
        at += step
    return counts


def recovery(
    dues: Sequence[float], start: float, end: float, target: float = TARGET_FPS, sustain: float = SUSTAIN
) -> float | None:
    """Seconds from ``start`` until the frame rate is ``target`` or more in every 1-s window of the next
    ``sustain`` s (or up to ``end``, if sooner); None if it never is."""
    counts = window_counts(dues, start, end)
    span = round((sustain - 1.0) / STEP) + 1  # the windows that fit in ``sustain`` s
    for k in range(len(counts)):
        if all(count >= target for count in counts[k : k + span]):
            return round(k * STEP, 3)
    return None


def per_second(dues: Sequence[float], start: float, seconds: int) -> list[int]:
    return [bisect.bisect_left(dues, start + i + 1) - bisect.bisect_left(dues, start + i) for i in range(seconds)]


def longest_gap(dues: Sequence[float], start: float, end: float) -> float:
    """The longest time in [start, end] with no frame: a freeze."""
    inside = [start, *(d for d in dues if start < d < end), end]
    return max(b - a for a, b in itertools.pairwise(inside))


def per_minute(count: int, seconds: float) -> float:
    return 60.0 * count / seconds if seconds > 0 else 0.0


def report(run: Run) -> list[str]:
    """The rows and the verdicts."""
    frames = timeline(run.frames)
    dues = [due for due, frame in frames if frame.decodes]
    keys = [due for due, frame in frames if frame.key and frame.decodes]
    phases = (
        ("clear (the reference)", run.started, run.dropped, run.counted[0]),
        (f"{RATE[:-4]} Mbit/s", run.dropped, run.returned, run.counted[1]),
        ("clear again, until back on 'main'", run.returned, run.ended, run.counted[2]),
    )
    lines = [
        "| link | s | fps, 1-s windows: min / median | late, p95 ms | kbit/s received | rungs (by the frames' width)"
        " | keyframes/min received | keyframes/min encoded | keyframe requests/min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rates: list[float] = []
    for name, start, end, counted in phases:
        counts = window_counts(dues, start, end) or [0]
        received = bisect.bisect_left(keys, end) - bisect.bisect_left(keys, start)
        octets = sum(frame.size for due, frame in frames if start <= due < end)
        late = [frame.arrived - due for due, frame in frames if start <= due < end and frame.decodes] or [0.0]
        rates.append(per_minute(counted.keyframes, end - start))
        lines.append(
            f"| {name} | {end - start:.1f} | {min(counts)} / {statistics.median(counts):.0f} |"
            f" {1000 * statistics.quantiles(late, n=20)[-1] if len(late) > 1 else 0:.0f} |"
            f" {8 * octets / 1000 / (end - start) if end > start else 0:.0f} |"
            f" {' > '.join(_rungs_seen(frames, start, end)) or '-'} | {per_minute(received, end - start):.0f} |"
            f" {rates[-1]:.0f} | {per_minute(counted.asked, end - start):.0f} |"
        )
    whole = run.ended - run.started
    total_received = len(keys)
    total_encoded = sum(c.keyframes for c in run.counted)
    total_asked = sum(c.asked for c in run.counted)
    lines.append(
        f"| whole run | {whole:.1f} | | | | | {per_minute(total_received, whole):.0f} |"
        f" {per_minute(total_encoded, whole):.0f} | {per_minute(total_asked, whole):.0f} |"
    )
    after_drop = per_second(dues, run.dropped, min(10, int(run.returned - run.dropped)))
    after_return = per_second(dues, run.returned, min(12, int(run.ended - run.returned)))
    moves = ", ".join(f"{rung} at {at - run.dropped:+.1f} s" for at, rung in run.moves[1:]) or "none"
    lines += [
        "",
        f"Frames per second after the drop, second by second: {', '.join(map(str, after_drop))};"
        f" after the link came back: {', '.join(map(str, after_return))}.",
        f"The server's moves (heard by the viewer, from the drop): {moves}.",
    ]
    back = recovery(dues, run.dropped, run.returned)
    down = next((at - run.dropped for at, rung in run.moves[1:] if at > run.dropped), None)
    met = back is not None and back <= TARGET_RECOVERY
    after = ""
    if back is not None:
        held = run.dropped + back + SUSTAIN  # the rate held up to here
        rest = window_counts(dues, held, run.returned)
        tries = [f"{at - run.dropped:+.1f} s" for at, rung in run.moves if held < at < run.returned]
        if rest:
            after = f"; then, until the link came back, {min(rest)} fps at the least" + (
                f" (the server's moves then, at {', '.join(tries)}: a try upwards)" if tries else ""
            )
    lines += [
        "",
        f"- Back to >= {TARGET_FPS:.0f} fps (every 1-s window from then on for {SUSTAIN:.0f} s) within"
        f" {TARGET_RECOVERY:.0f} s of the drop to 1 Mbit/s: {'met' if met else 'not met'} ("
        + (f"{back:.1f} s" if back is not None else "never")
        + (f"; the move down heard {down:.1f} s after the drop" if down is not None else "; never moved down")
        + f"; longest freeze {longest_gap(dues, run.dropped, run.dropped + (back or 0) + 1):.1f} s{after}).",
    ]
    reference = rates[0]
    storm = any(rate > STORM * reference for rate in rates[1:])
    lines.append(
        f"- No keyframe storm (each phase's keyframes per minute, encoded for this viewer, within {STORM:.0f}x the"
        f" clear link's): {'not met' if storm else 'met'} ({', '.join(f'{r:.0f}' for r in rates)} per minute:"
        f" clear, shaped, clear again; {per_minute(total_encoded, whole):.0f} over the whole run).",
    )
    return lines


def _rungs_seen(frames: Sequence[tuple[float, Received]], start: float, end: float) -> list[str]:
    """The rungs in the order the frames grabbed in [start, end) came from, by the width of their keyframes
    (a frame's width is its last keyframe's)."""
    seen: list[str] = []
    width = None
    for due, frame in frames:
        width = frame.width if frame.key else width
        rung = WIDTHS.get(width or 0, str(width))
        if start <= due < end and (not seen or seen[-1] != rung):
            seen.append(rung)
    return seen


async def _heard_moves(viewer: Viewer, moves: list[tuple[float, str]]) -> None:
    """(On the remote host.) Every ``signal/video`` the viewer is sent, as it comes, until cancelled."""
    assert viewer.ws is not None
    while True:
        with contextlib.suppress(TimeoutError):
            message = await viewer.ws.next()
            if message["event"] == "signal/video":
                moves.append((time.monotonic(), message["payload"]["id"]))


async def _counters(http: httpx.AsyncClient) -> Counted:
    samples = parse((await http.get("/metrics")).text)
    keyframes = sum(count for (name, _), count in samples.items() if name == "neko_media_keyframes_total")
    asked = sum(value(samples, "neko_media_feedback_total", type=kind) for kind in ("pli", "fir"))
    return Counted(int(keyframes), int(asked))


async def _settled(moves: list[tuple[float, str]], rung: str, hold: float, within: float) -> None:
    """Once the last move put the viewer on ``rung`` ``hold`` s ago (or ``within`` s have gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        at, on = moves[-1]
        if on == rung and time.monotonic() - at >= hold:
            return
        await asyncio.sleep(0.1)


async def drop_run(serve: Callable[..., Served], painter: Painter) -> Run:
    """``serve(host, **env)``: the media bench's server on that address, with these keys."""
    env = {"NEKO_CAPTURE_VIDEO_IDS": "main,low", "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(RIGID_LADDER)}
    noise = asyncio.create_task(paint_noise(painter))
    try:
        with namespace() as link:
            server = serve(link.outside, **env)
            remote = RemoteHost(link.namespace)
            viewer = Viewer(server.url, ws_url(server.url))
            frames = log_frames(viewer)
            listening: Any = None
            try:
                await remote.run(viewer.login(f"auto-{time.monotonic_ns()}", PASSWORD))
                await remote.run(viewer.watch({"video": {"auto": True}, "audio": {"disabled": True}}))
                moves = [(time.monotonic(), str(viewer.provide["video"]["id"]))]
                listening = asyncio.run_coroutine_threadsafe(_heard_moves(viewer, moves), remote.loop)
                async with httpx.AsyncClient(base_url=server.url) as http:
                    await asyncio.sleep(2.0)  # the join's keyframe and first frames are not the reference
                    started, before = time.monotonic(), await _counters(http)
                    await asyncio.sleep(CLEAR)
                    dropped, at_drop = time.monotonic(), await _counters(http)
                    shape(link, RATE)
                    try:
                        await asyncio.sleep(SHAPED)
                    finally:
                        shape(link, None)
                    returned, at_return = time.monotonic(), await _counters(http)
                    await _settled(moves, "main", HOLD, within=60.0)
                    ended, at_end = time.monotonic(), await _counters(http)
            finally:
                if listening is not None:
                    listening.cancel()
                await remote.run(viewer.close())
                remote.stop()
                server.stop()
    finally:
        noise.cancel()
    counted = (at_drop - before, at_return - at_drop, at_end - at_return)
    return Run(list(frames), moves, started, dropped, returned, ended, counted)


async def measure_lines(display: str) -> list[str]:
    """The part's rows and verdicts (nothing but a note without root)."""
    from bench.media import Server  # the media bench's server, as `make run` starts it

    if os.geteuid() != 0:
        print("media: the link-drop rows need root (a network namespace); left out", file=sys.stderr)
        return []
    painter = Painter(display)
    try:
        run = await drop_run(lambda host, **env: Server(display, 1, host=host, **env), painter)
    finally:
        painter.close()
    return [
        f"An `auto` viewer whose link drops to 1 Mbit/s for {SHAPED:.0f} s (load average {os.getloadavg()[0]:.1f}):",
        "",
        *report(run),
    ]


async def measure(display: str) -> str:
    return "\n".join(await measure_lines(display))


def main() -> int:
    from bench.media import alone

    return alone(measure)


if __name__ == "__main__":
    sys.exit(main())
