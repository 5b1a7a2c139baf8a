"""The desktop's sound for the broadcast: a PulseAudio monitor read with ``parec``.

The PyAV wheel has no ``pulse`` input format (desktop-media-notes.md), so the raw
PCM comes from a ``parec`` child, pointed at the server the desktop plays into
(services.py: nekoapi's own PulseAudio or ``capture.pulse.server``). PulseAudio may
not be running: then ``open`` answers None and the broadcast goes out without sound.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
CHANNELS = 2
BYTES_PER_SAMPLE = 2  # s16le
# PulseAudio's name for the monitor of the default sink (Neko's default is audio_output.monitor).
DEFAULT_DEVICE = "@DEFAULT_MONITOR@"
PROBE_TIMEOUT = 2.0


class ParecStream:
    """Interleaved s16le stereo PCM at 48 kHz from one ``parec`` process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; b"" once parec has ended."""
        assert self._process.stdout is not None
        return self._process.stdout.read(size)

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


class PulseMonitor:
    """An ``AudioSource`` (nekoapi.types): the monitor ``device`` of the PulseAudio server."""

    def __init__(self, device: str = DEFAULT_DEVICE, server: str | Callable[[], str | None] | None = None) -> None:
        self.device = device
        # PULSE_SERVER, or asked at each open (nekoapi's own server starts with the desktop); None: parec's default
        self.server = server

    def open(self) -> ParecStream | None:
        """A stream of the monitor, or None when there is no PulseAudio server to read."""
        if not self._server_answers():
            return None
        command = ["parec", f"--device={self.device}", "--format=s16le", f"--rate={SAMPLE_RATE}"]
        command += [f"--channels={CHANNELS}", "--raw", "--latency-msec=20", *self._server_args()]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return ParecStream(process)

    def _server_answers(self) -> bool:
        if shutil.which("parec") is None or shutil.which("pactl") is None:
            log.info("broadcast audio: parec/pactl not installed, video only")
            return False
        try:
            probe = subprocess.run(
                ["pactl", *self._server_args(), "info"], capture_output=True, timeout=PROBE_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            probe = None
        if probe is None or probe.returncode != 0:
            log.info("broadcast audio: no PulseAudio server answers, video only")
            return False
        return True

    def _server_args(self) -> list[str]:
        server = self.server() if callable(self.server) else self.server
        return [f"--server={server}"] if server else []
