"""What a recording costs: server CPU with one on beside off, 10 viewers (video and sound), one server.

The recording muxes the packets the viewers get already, so its cost is the muxing and the writes. The
server's cores are measured off, on, then off again, and the two offs averaged, so a drift of the shared
machine's load falls on both sides. ``python -m bench.media_recording`` runs this part alone.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable

import httpx

from bench.media_clients import PASSWORD, ws_url
from tests.media.client import Viewer

VIEWERS = 10
SECONDS = 6.0
ADMIN = "bench-admin"
TARGET = 0.03  # cores


async def _cores(cpu: Callable[[], float], seconds: float) -> float:
    loop = asyncio.get_running_loop()
    before, wall = cpu(), loop.time()
    await asyncio.sleep(seconds)
    return (cpu() - before) / (loop.time() - wall)


async def _viewers(url: str) -> list[Viewer]:
    out = []
    for i in range(VIEWERS):
        client = Viewer(url, ws_url(url))
        await client.login(f"recording-viewer{i}", PASSWORD)
        await client.watch({"video": {"selector": {"type": "exact", "id": "p0"}}, "audio": {}})
        out.append(client)
    return out


async def cost(url: str, cpu: Callable[[], float]) -> tuple[float, float, int]:
    """Cores off (mean of before and after) and on, and the recording's bytes."""
    clients = await _viewers(url)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as api:
            login = await api.post("/api/login", json={"username": ADMIN, "password": ADMIN})
            login.raise_for_status()  # the session's cookie is kept by the client (or its token sent)
            if "token" in login.json():
                api.headers["Authorization"] = f"Bearer {login.json()['token']}"
            await asyncio.sleep(2.0)  # the joins' keyframes
            off_before = await _cores(cpu, SECONDS)
            (await api.post("/api/room/recording/start")).raise_for_status()
            await asyncio.sleep(1.0)
            on = await _cores(cpu, SECONDS)
            written = (await api.post("/api/room/recording/stop")).json()["bytes"]
            await asyncio.sleep(1.0)
            off_after = await _cores(cpu, SECONDS)
    finally:
        for client in clients:
            await client.close()
    return (off_before + off_after) / 2, on, written


async def measure(display: str) -> str:
    from bench.media import Server  # the media bench's server, as `make run` starts it

    with tempfile.TemporaryDirectory(prefix="bench-recordings-") as directory:
        env = {"NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN, "NEKO_CAPTURE_RECORDING_DIR": directory}
        server = Server(display, 1, **env)
        try:
            off, on, written = await cost(server.url, server.cpu)
        finally:
            server.stop()
    verdict = "met" if on - off <= TARGET else "not met"
    return (
        f"Recording (WebM, the viewers' VP8 and Opus muxed), {VIEWERS} viewers with sound, the moving square: server"
        f" {on:.3f} cores recording beside {off:.3f} not (mean of before and after), {on - off:+.3f} core"
        f" ({written / 1024:.0f} KiB written in {SECONDS + 1:.0f} s; target <= +{TARGET} core: {verdict})."
    )


def main() -> int:
    from bench.media import alone

    return alone(measure)


if __name__ == "__main__":
    sys.exit(main())
