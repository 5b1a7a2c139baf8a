"""A local RTMP server for broadcast tests: ``ffmpeg -listen 1`` writing what it receives to a file."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import av

from .paint import Colour
from .patience import REPLY, START, STOP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, or took a connection there already (``ffmpeg
    -listen 1`` stops listening once it has its publisher). Read from /proc: a probe connect
    would be the one connection ffmpeg accepts."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(wanted) and fields[3] in {"0A", "01"}:  # LISTEN, ESTABLISHED
                return True
    return False


@dataclass(frozen=True)
class ReceivedFrame:
    width: int
    height: int
    sample: Colour  # the colour a quarter in from the top left (the pointer sits at the centre)


class RtmpReceiver:
    """Accepts one RTMP publisher on ``url`` and stores the stream (copied, not re-encoded) in ``path``."""

    def __init__(self, directory: Path, port: int | None = None, name: str = "received") -> None:
        self.port = port or free_port()
        self.url = f"rtmp://127.0.0.1:{self.port}/live/stream-key"
        self.path = directory / f"{name}.flv"
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-listen", "1", "-i", self.url]
        # Each packet is written through at once, so that the file's size says what has arrived.
        copy = ["-c", "copy", "-flush_packets", "1", "-y", str(self.path)]
        self.process = subprocess.Popen([*command, *copy], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START
        while not listening(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("ffmpeg did not start listening")
            time.sleep(0.02)

    def receiving(self, timeout: float = REPLY) -> None:
        """Waits until the stream's first bytes are in the file: a stop before them would cut a
        publisher off in its handshake, which ffmpeg reports as an error."""
        deadline = time.monotonic() + timeout
        while not (self.path.exists() and self.path.stat().st_size > 0):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"no stream reached {self.path.name}")
            time.sleep(0.05)

    def finished(self, timeout: float = STOP) -> int:
        """Waits for ffmpeg to end (the publisher closed the stream); its exit status."""
        return self.process.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def frames(self) -> list[ReceivedFrame]:
        """Every decoded video frame: its size and a sample of its colour."""
        found = []
        with av.open(str(self.path)) as container:
            for frame in container.decode(video=0):
                image = frame.to_image()
                pixel = image.getpixel((frame.width // 4, frame.height // 4))
                found.append(ReceivedFrame(frame.width, frame.height, tuple(pixel)[:3]))  # type: ignore[arg-type]
        return found

    def audio_streams(self) -> list[str]:
        with av.open(str(self.path)) as container:
            return [stream.codec_context.name for stream in container.streams.audio]
