"""A PulseAudio server of our own, with the room's two null sinks, started next to the X server.

``audio_output`` is the default sink: the app plays into it and its monitor is the room's
audio. ``audio_input`` is where clients' microphones play; its monitor, remapped as the
source ``microphone``, is the desktop's default microphone. Runs with ``-n`` (no default
script) and only the modules listed, so it needs no D-Bus and works as root.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..reaper import end_with_nekoapi

log = logging.getLogger(__name__)
START_TIMEOUT = 5.0


class PulseServer:
    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="nekoapi-pulse-"))
        self.socket = self._dir / "native"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        """The value for ``PULSE_SERVER`` (the app's environment) and ``--server=``."""
        return f"unix:{self.socket}"

    def _command(self) -> list[str]:
        modules = [
            f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
            "module-null-sink sink_name=audio_output sink_properties=device.description=audio_output",
            "module-null-sink sink_name=audio_input sink_properties=device.description=audio_input",
            "module-remap-source master=audio_input.monitor source_name=microphone",
            "module-always-sink",
        ]
        loads = [arg for module in modules for arg in ("-L", module)]
        return [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "--system=false",
            *loads,
        ]

    def start(self) -> None:
        """Blocking (call it off the loop); returns once the socket answers."""
        env = {
            **os.environ,
            "HOME": str(self._dir),
            "XDG_RUNTIME_DIR": str(self._dir),
            "PULSE_RUNTIME_PATH": str(self._dir),
        }
        self._process = subprocess.Popen(
            self._command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        end_with_nekoapi(self._process.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = (self._process.stderr.read() if self._process.stderr else b"").decode(errors="replace")
                raise RuntimeError(f"pulseaudio exited: {error.strip()[-300:]}")
            if self._ready():
                self._defaults()
                return
            time.sleep(0.05)
        raise RuntimeError("pulseaudio did not start in time")

    def _ready(self) -> bool:
        return self.socket.exists() and self._pactl("info") == 0

    def _defaults(self) -> None:
        self._pactl("set-default-sink", "audio_output")
        self._pactl("set-default-source", "microphone")

    def _pactl(self, *args: str) -> int:
        done = subprocess.run(["pactl", f"--server={self.server}", *args], capture_output=True, timeout=5, check=False)
        return done.returncode

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(3)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)
