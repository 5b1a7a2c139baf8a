"""``nekoapi serve`` in a real child process, as an operator runs it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from .patience import START, STOP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    port: int
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def ws_url(self, token: str) -> str:
        return f"ws://127.0.0.1:{self.port}{self.prefix}/api/ws?token={token}"

    def wait_healthy(self, timeout: float = START) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health").status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError("server did not become healthy")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP) -> tuple[int, float]:
        """Send ``sig``; the exit status and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started

    def output(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        out, err = self.process.communicate(timeout=STOP)
        return (out + err).decode()


@contextlib.contextmanager
def serve(*args: str, **env: str) -> Iterator[ServeProcess]:
    """Start ``nekoapi serve`` with only the given NEKO_* variables; killed if still running at the end."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_")}
    # Neko's multiuser provider unless a test picks another: nothing written to the work tree.
    environ.update(
        {
            "NEKO_SERVER_BIND": f"127.0.0.1:{port}",
            "NEKO_MEMBER_PROVIDER": "multiuser",
            "NEKO_DESKTOP_ENABLED": "false",
            **env,
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nekoapi", "serve", *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so worker processes go with it
    )
    server = ServeProcess(process, port, env.get("NEKO_SERVER_PATH_PREFIX", "").rstrip("/"))
    try:
        server.wait_healthy()
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # workers too, even if the parent already exited
        process.communicate(timeout=STOP)
