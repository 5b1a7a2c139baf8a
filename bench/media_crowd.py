"""A crowd on one host: 25 and then 100 aiortc viewers of one 720p25 stream, each viewer's frame rate, and
what each viewer costs the server.

The viewers count whole frames by the RTP marker bit without decoding (bench/media_clients.py), in
``PROCESSES`` processes of their own pinned to the load core, so that the server (core 0) and not the
crowd sets the pace; the crowd's own CPU and the load core's busy share are printed beside, so a
saturated load core shows. The server's cores and RSS are measured at both counts on fresh servers,
and the cost of one more viewer is the difference divided by the viewers added.
``python -m bench.media_crowd`` runs this part alone.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.media_clients import Crowd
from bench.servers import LOAD_CORE

if TYPE_CHECKING:
    from bench.media import Server

COUNTS = (25, 100)
PROCESSES = 4  # crowds: each its own event loop, all on the load core
SECONDS = 10.0
SETTLE = 3.0  # s after the last join: the joins' keyframes and their requests are over
TARGET_FPS = 24.0


@dataclass(frozen=True)
class Crowded:
    viewers: int
    cores: float  # the server's
    rss: float  # MiB, the server's, with the viewers watching
    idle_rss: float  # MiB, the server's before the first viewer
    fps: list[float]
    crowd_cores: float  # the crowd processes' CPU, added up
    load_core_busy: float  # share of the load core busy (anyone's work: the machine is shared)
    join_seconds: float
    encoded_fps: float  # the stage's frames: a source below 25 caps every viewer alike
    packets_per_frame: float  # per viewer
    kbit_per_viewer: float
    fanout_us: float  # server CPU beside the stage's grab and encode, per frame sent to one viewer
    process_medians: tuple[float, ...] = ()  # each crowd process's median fps: a slow process, or a slow viewer


def scrape(url: str) -> dict[str, float]:
    """The server's video counters from /metrics: frames encoded and their CPU, RTP packets and bytes sent."""
    wanted = {
        "neko_media_encoded_frames_total": "frames",
        "neko_media_frame_cpu_seconds_total": "encode_cpu",
        'neko_media_sent_packets_total{kind="video"}': "packets",
        'neko_media_sent_bytes_total{kind="video"}': "bytes",
    }
    got = dict.fromkeys(wanted.values(), 0.0)
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        name, _, value = line.rpartition(" ")
        key = name.split("{")[0] if name.startswith(("neko_media_encoded", "neko_media_frame_cpu")) else name
        if key in wanted:
            got[wanted[key]] += float(value)
    return got


def core_busy(core: str) -> tuple[int, int]:
    """(busy, total) jiffies of one core, from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            fields = [int(v) for v in line.split()[1:]]
            idle = fields[3] + fields[4]  # idle and iowait
            return sum(fields) - idle, sum(fields)
    return 0, 1


def shares(count: int, parts: int) -> list[int]:
    return [count // parts + (i < count % parts) for i in range(parts) if count // parts + (i < count % parts)]


async def watch(server: Server, count: int, seconds: float = SECONDS) -> Crowded:
    idle_rss = server.rss_mib()
    started = time.monotonic()
    crowds = [Crowd(server.url, share, core=LOAD_CORE, wait=False) for share in shares(count, PROCESSES)]
    try:
        for crowd in crowds:
            await asyncio.to_thread(crowd.watching)
        joined = time.monotonic() - started
        await asyncio.sleep(SETTLE)
        before = [(crowd.counted(), time.monotonic()) for crowd in crowds]
        counters = await asyncio.to_thread(scrape, server.url)
        cpu, wall, busy = server.cpu(), time.monotonic(), core_busy(LOAD_CORE)
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - wall
        cores = (server.cpu() - cpu) / elapsed
        busy_after = core_busy(LOAD_CORE)
        counters = {k: v - counters[k] for k, v in (await asyncio.to_thread(scrape, server.url)).items()}
        after = [(crowd.counted(), time.monotonic()) for crowd in crowds]
        rss = server.rss_mib()
    finally:
        for crowd in crowds:
            await asyncio.to_thread(crowd.close)
    fps: list[float] = []
    medians: list[float] = []
    crowd_cpu = 0.0
    for ((frames0, cpu0), at0), ((frames1, cpu1), at1) in zip(before, after, strict=True):
        rates = [(b - a) / (at1 - at0) for a, b in zip(frames0, frames1, strict=True)]
        fps += rates
        medians.append(statistics.median(rates))
        crowd_cpu += (cpu1 - cpu0) / (at1 - at0)
    load_busy = (busy_after[0] - busy[0]) / max(1, busy_after[1] - busy[1])
    frames = max(counters["frames"], 1.0)
    return Crowded(
        count,
        cores,
        rss,
        idle_rss,
        fps,
        crowd_cpu,
        load_busy,
        joined,
        encoded_fps=counters["frames"] / elapsed,
        packets_per_frame=counters["packets"] / count / frames,
        kbit_per_viewer=counters["bytes"] * 8 / 1000 / count / elapsed,
        fanout_us=(cores - counters["encode_cpu"] / elapsed) * 1e6 / (count * frames / elapsed),
        process_medians=tuple(medians),
    )


def rows(runs: list[Crowded]) -> list[str]:
    lines = [
        "| viewers | server CPU (cores) | fps per viewer, min / median | viewers >= 24 fps | encoded fps |"
        " packets per frame, kbit/s per viewer | fan-out CPU per frame per viewer (µs) | server RSS MiB |"
        " crowd CPU (cores) / load core busy | joins (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        held = sum(f >= TARGET_FPS for f in run.fps)
        lines.append(
            f"| {run.viewers} | {run.cores:.2f} | {min(run.fps):.1f} / {statistics.median(run.fps):.1f} |"
            f" {held} of {len(run.fps)} | {run.encoded_fps:.1f} | {run.packets_per_frame:.1f},"
            f" {run.kbit_per_viewer:.0f} | {run.fanout_us:.0f} | {run.rss:.0f} |"
            f" {run.crowd_cores:.2f} / {run.load_core_busy:.0%} |"
            f" {run.join_seconds:.0f} |"
        )
    small, large = runs[0], runs[-1]
    added = large.viewers - small.viewers
    if added > 0:
        per_cpu = (large.cores - small.cores) / added
        per_rss = (large.rss - large.idle_rss - (small.rss - small.idle_rss)) / added
        lines.append("")
        lines.append(
            f"Per viewer, from {small.viewers} to {large.viewers} viewers: server {per_cpu * 1000:.1f} millicores"
            f" and {per_rss:.2f} MiB RSS."
        )
    verdict = "met" if min(large.fps) >= TARGET_FPS else "not met"
    saturated = " (the load core was saturated: the crowd may set the pace)" if large.load_core_busy > 0.95 else ""
    lines.append(f"- Every one of {large.viewers} viewers >= {TARGET_FPS:.0f} fps: {verdict}{saturated}.")
    return lines


async def measure(display: str, counts: tuple[int, ...] = COUNTS) -> str:
    from bench.media import Server  # the media bench's server, as `make run` starts it

    runs = []
    for count in counts:
        server = Server(display, 1)
        try:
            runs.append(await watch(server, count))
        finally:
            server.stop()
        got = runs[-1]
        print(
            f"{count} viewers: server {got.cores:.2f} cores, fps min {min(got.fps):.1f} median"
            f" {statistics.median(got.fps):.1f}, encoded {got.encoded_fps:.1f} fps, crowd {got.crowd_cores:.2f} cores,"
            f" load core {got.load_core_busy:.0%}",
            file=sys.stderr,
        )
        print(
            f"  fps, slowest first: {[round(f, 1) for f in sorted(got.fps)[:10]]}; each crowd process's median:"
            f" {[round(f, 1) for f in got.process_medians]}",
            file=sys.stderr,
        )
    return "\n".join(rows(runs))


def main() -> int:
    from bench.media import alone

    counts = tuple(int(arg) for arg in sys.argv[1:]) or COUNTS
    return alone(lambda display: measure(display, counts))


if __name__ == "__main__":
    sys.exit(main())
