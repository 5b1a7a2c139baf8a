"""A client's microphone track, played into the desktop's microphone sink with ``pacat``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError

log = logging.getLogger(__name__)


async def play_microphone(track: Any, server: str, sink: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "pacat",
        f"--server={server}",
        f"--device={sink}",
        "--format=s16le",
        "--rate=48000",
        "--channels=2",
        "--latency-msec=40",
        "--raw",
        stdin=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
    assert process.stdin is not None
    try:
        while True:
            frame = await track.recv()
            for out in resampler.resample(frame):
                process.stdin.write(bytes(out.planes[0])[: out.samples * 4])
            await process.stdin.drain()
    except (MediaStreamError, ConnectionError):
        pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
