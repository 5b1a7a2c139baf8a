"""The network side of a push: an ``ffmpeg`` child that copies our FLV stream to the RTMP server.

PyAV opens an rtmp:// output (the TCP connect and the RTMP handshake) while holding the GIL: an
RTMP server that never answers would freeze the whole server. So our encoder writes FLV into a
pipe and this child, which re-encodes nothing (``-c copy``), does the RTMP side. A refused or dead
connection ends the child; a stalled one fills the pipe, which blocks only the push's own thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading

from .. import errors

EXIT_TIMEOUT = 5.0


class RtmpSender:
    def __init__(self, url: str) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise errors.BroadcastFailed("broadcast could not start: ffmpeg is not installed")
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-probesize", "1000000"]
        command += ["-analyzeduration", "500000", "-f", "flv", "-i", "pipe:0", "-c", "copy", "-f", "flv"]
        command += ["-progress", "pipe:1", "-stats_period", "0.2", url]
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
            )
        except ValueError:  # a NUL or a character no file name can hold: the caller's URL
            raise errors.BroadcastUnreachable("broadcast could not start: the URL cannot be used") from None
        self._connected = threading.Event()  # ffmpeg reports progress only once the server took the stream
        self._errors: list[bytes] = []
        threading.Thread(target=self._read_progress, name="broadcast-progress", daemon=True).start()
        self._error_reader = threading.Thread(target=self._read_errors, name="broadcast-errors", daemon=True)
        self._error_reader.start()

    def write(self, data: bytes) -> int:
        """PyAV's output file: raw writes to the pipe (BrokenPipeError once ffmpeg is gone)."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._pipe_fd, view) :]
        return len(data)

    def connected(self) -> bool:
        """Whether the RTMP server took the stream; raises ``ConnectionError`` once ffmpeg has ended."""
        if self._connected.is_set():
            return True
        if self.ended():
            raise ConnectionError(self.failure())
        return False

    def ended(self, wait: float = 0.0) -> bool:
        try:
            self._process.wait(wait)
        except subprocess.TimeoutExpired:
            return False
        return True

    def failure(self) -> str:
        """ffmpeg's last complaint, without the URL it names ("rtmp://host/app/key: Connection refused")."""
        self._error_reader.join(1.0)  # ffmpeg has ended: its last words are on their way
        lines = b"".join(self._errors).decode(errors="replace").strip().splitlines()
        last = lines[-1].rpartition(": ")[2].strip() if lines else ""
        return last.lower() or "the RTMP connection ended"

    def close(self) -> None:
        """Ends the stream: ffmpeg sends what it has and exits (killed if it does not)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(OSError):  # ffmpeg is gone already
                self._process.stdin.close()
        try:
            self._process.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()

    @property
    def _pipe_fd(self) -> int:
        assert self._process.stdin is not None
        return self._process.stdin.fileno()

    def _read_progress(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith(b"progress="):
                self._connected.set()

    def _read_errors(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._errors = [*self._errors[-4:], line]
