"""What one UDP port for every viewer costs: server CPU with 10 viewers on ``webrtc.udpmux`` beside 10 on
ports of their own (the default), in one run.

The mux reads every viewer's datagrams from one socket and routes them by source address, where the
default gives each viewer sockets of its own; the encoding and the fan-out are the same. The server's
cores are measured on separate ports and on the mux in turn (``ORDER``), each run on a fresh server, and
each kind's runs averaged, so a drift of the shared machine's load falls on both sides.
``python -m bench.media_udpmux`` runs this part alone.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass

from bench.media_clients import frames_counted, viewers
from tests.media.remote import free_port_pair, server_candidates

VIEWERS = 10
SECONDS = 10.0
TARGET = 0.10  # the larger figure within 10 % of the smaller
ORDER = (False, True, False, True, False)  # udpmux off and on in turn: a drift of the load falls on both


@dataclass(frozen=True)
class Watched:
    cores: float
    fps_median: float
    ports: frozenset[int]  # the ports in the server's candidates (UDP only: no tcpmux), over every viewer


async def watch(url: str, cpu: Callable[[], float], seconds: float = SECONDS) -> Watched:
    """Server cores and frames per viewer while ``VIEWERS`` viewers watch, and the ports they were offered."""
    clients = await viewers(url, VIEWERS)
    try:
        await asyncio.sleep(2.0)  # the joins' keyframes
        loop = asyncio.get_running_loop()
        frames, before, wall = [frames_counted(c) for c in clients], cpu(), loop.time()
        await asyncio.sleep(seconds)
        cores = (cpu() - before) / (loop.time() - wall)
        fps = [(frames_counted(c) - n) / seconds for c, n in zip(clients, frames, strict=True)]
        ports = frozenset(port for c in clients for _, port in server_candidates(c))
    finally:
        for client in clients:
            await client.close()
    return Watched(cores, statistics.median(fps), ports)


def summary(separate: list[Watched], muxed: list[Watched], mux_port: int) -> str:
    """The row: both figures, their ratio and the verdict, and the ratio per frame delivered (the runs'
    frame rates differ on a shared machine; by more than the target, nothing is judged). Runs that compare
    nothing (the mux offered another port, separate viewers shared one) are refused."""
    if any(run.ports != {mux_port} for run in muxed):
        found = sorted(set().union(*(run.ports for run in muxed)))
        raise RuntimeError(f"the udpmux viewers were offered ports {found}, not only {mux_port}")
    if any(len(run.ports) < VIEWERS for run in separate):
        raise RuntimeError("the viewers on separate ports were offered fewer ports than there are viewers")
    mux, apart = (statistics.mean(run.cores for run in runs) for runs in (muxed, separate))
    mux_fps, apart_fps = (statistics.mean(run.fps_median for run in runs) for runs in (muxed, separate))
    ratio = mux / apart
    verdict = "met" if max(ratio, 1 / ratio) <= 1 + TARGET else "not met"
    if max(mux_fps, apart_fps) > (1 + TARGET) * min(mux_fps, apart_fps):
        verdict = "not judged, the frame rates differ by more than that"  # unequal work: a loaded machine
    return (
        f"One UDP port (`webrtc.udpmux`), {VIEWERS} viewers, the moving square: server {mux:.3f} cores on the"
        f" mux beside {apart:.3f} on separate ports, ratio {ratio:.2f} (target: within {TARGET:.0%} of each"
        f" other: {verdict}); fps per viewer {mux_fps:.1f} beside {apart_fps:.1f}, so per frame delivered"
        f" {ratio * apart_fps / mux_fps:.2f} (means of {len(muxed)} mux and {len(separate)} separate runs,"
        " alternated)."
    )


async def measure(display: str) -> str:
    from bench.media import Server  # the media bench's server, as `make run` starts it

    mux_port = free_port_pair("0.0.0.0")
    runs: dict[bool, list[Watched]] = {False: [], True: []}
    for muxed in ORDER:
        server = Server(display, 1, **({"NEKO_WEBRTC_UDPMUX": str(mux_port)} if muxed else {}))
        try:
            runs[muxed].append(await watch(server.url, server.cpu))
        finally:
            server.stop()
        got = runs[muxed][-1]
        print(f"udpmux {'on' if muxed else 'off'}: {got.cores:.3f} cores, {got.fps_median:.1f} fps", file=sys.stderr)
    return summary(runs[False], runs[True], mux_port)


def main() -> int:
    from bench.media import alone

    return alone(measure)


if __name__ == "__main__":
    sys.exit(main())
