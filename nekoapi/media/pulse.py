"""A PulseAudio server of our own, with the room's two null sinks, started next to the X server.

``audio_output`` is the default sink: the app plays into it and its monitor is the room's
audio. ``audio_input`` is where clients' microphones play; its monitor, remapped as the
source ``microphone``, is the desktop's default microphone. Runs with ``-n`` (no default
script) and only the modules listed, so it needs no D-Bus and works as root. ``restart()`` brings
a dead one back on the same socket, so ``PULSE_SERVER`` stays what it was.
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
        self._log = self._dir / "pulseaudio.log"
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

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def alive(self) -> bool:
        """Whether the server process runs (a dead one is reaped here, so it lingers as no zombie)."""
        return self._process is not None and self._process.poll() is None

    def restart(self) -> None:
        """Blocking: end what is left of the server and start it again on the same socket."""
        self._end()
        self.start()

    def start(self) -> None:
        """Blocking (call it off the loop); returns once the socket answers."""
        env = {
            **os.environ,
            "HOME": str(self._dir),
            "XDG_RUNTIME_DIR": str(self._dir),
            "PULSE_RUNTIME_PATH": str(self._dir),
        }
        # Its complaints go to a file: a pipe nobody reads would stop the server once full.
        with open(self._log, "wb") as log_file:
            self._process = subprocess.Popen(
                self._command(), env=env, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True
            )
        end_with_nekoapi(self._process.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._log.read_bytes()[-300:].decode(errors="replace")
                raise RuntimeError(f"pulseaudio exited: {error.strip()}")
            if self._ready():
                self._defaults()
                return
            time.sleep(0.05)
        self._end()  # one that never answers is no server
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
        self._end()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _end(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
