"""A private PulseAudio server with a null sink, and a tone played into it, for audio tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .ci import unavailable
from .patience import START

SINK = "nekotest"


@dataclass(frozen=True)
class PulseServer:
    server: str  # for --server= / PULSE_SERVER
    sink: str

    @property
    def monitor(self) -> str:
        return f"{self.sink}.monitor"


@contextlib.contextmanager
def running_pulseaudio(directory: Path) -> Iterator[PulseServer]:
    """PulseAudio on its own socket under ``directory`` (no D-Bus, no autospawn), stopped on exit."""
    if shutil.which("pulseaudio") is None or shutil.which("pacat") is None:
        unavailable("PulseAudio is not installed (make desktop-deps)")
    socket = directory / "native"
    env = {**os.environ, "HOME": str(directory), "XDG_RUNTIME_DIR": str(directory)}
    command = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no"]
    command += ["-L", f"module-null-sink sink_name={SINK}"]
    command += ["-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PulseServer(f"unix:{socket}", SINK)
    try:
        _wait_answering(server, process)
        yield server
    finally:
        process.terminate()
        process.wait(10)


def _wait_answering(server: PulseServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START
    while subprocess.run(["pactl", f"--server={server.server}", "info"], capture_output=True).returncode != 0:
        if time.monotonic() > deadline or process.poll() is not None:
            unavailable("PulseAudio did not start")
        time.sleep(0.05)


@contextlib.contextmanager
def playing_tone(server: PulseServer, directory: Path, frequency: int, seconds: float = 10.0) -> Iterator[None]:
    """A sine tone played into the sink (ffmpeg writes it, pacat plays it)."""
    tone = directory / f"tone-{frequency}.raw"
    sine = f"sine=frequency={frequency}:sample_rate=48000:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", sine,
         "-ac", "2", "-f", "s16le", "-y", str(tone)],
        check=True,
    )  # fmt: skip
    player = subprocess.Popen(
        ["pacat", f"--server={server.server}", f"--device={server.sink}", "--raw", "--format=s16le",
         "--rate=48000", "--channels=2", str(tone)],
    )  # fmt: skip
    try:
        yield
    finally:
        player.kill()
        player.wait()
