"""A client's microphone track, played into the desktop's microphone sink with ``pacat``."""

from __future__ import annotations

import logging
import subprocess
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError

from ..children import spawn

log = logging.getLogger(__name__)


async def play_microphone(track: Any, server: str, sink: str) -> None:
    argv = ["pacat", f"--server={server}", f"--device={sink}", "--format=s16le", "--rate=48000", "--channels=2"]
    process = await spawn([*argv, "--latency-msec=40", "--raw"], stdin=subprocess.PIPE)
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
    try:
        while True:
            frame = await track.recv()
            for out in resampler.resample(frame):
                await process.write(bytes(out.planes[0])[: out.samples * 4])
    except (MediaStreamError, ConnectionError):
        pass
    finally:
        process.kill()
        await process.wait()
        process.close_stdin()
