"""Start the two servers as separate processes pinned to the server core."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_CORE = "0"
LOAD_CORE = "1"
API_TOKEN = "bench-api-token-not-a-secret-0123456789"
ADMIN_PASSWORD = "admin"
USER_PASSWORD = "neko"
KINDS = ("ours", "reference")
# Scenario 9: ours on the Redis session store, with one worker process or two, on both cores.
WORKER_KINDS = {"ours, 1 worker": 1, "ours, 2 workers": 2}
BOTH_CORES = "0,1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, argv: list[str]) -> list[str]:
    """``argv`` run on one core; unpinned when taskset is missing (the report says so)."""
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv


def _command(kind: str, bind: str) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_")}
    if kind in WORKER_KINDS:
        argv, env = _command("ours", bind)
        env |= {"NEKO_SESSION_STORE": "redis", "NEKO_REDIS_PREFIX": f"nekoapi-bench-{bind.rpartition(':')[2]}"}
        return [*argv, "--workers", str(WORKER_KINDS[kind])], env
    if kind == "ours":
        # Exactly what `make run` starts: the console script, configured by NEKO_* variables.
        env |= {
            "NEKO_SERVER_BIND": bind,
            "NEKO_SESSION_API_TOKEN": API_TOKEN,
            "NEKO_DESKTOP_ENABLED": "false",
            "NEKO_MEMBER_PROVIDER": "multiuser",  # a new session per login, as the scenarios seed them
            "NEKO_SESSION_LOGIN_THROTTLE_ENABLED": "false",  # wrk hammers login on purpose
            "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
        }
        nekoapi = str(Path(sys.executable).with_name("nekoapi"))
        return [nekoapi, "serve"], env  # log.level info as shipped: one access line per request
    return [sys.executable, "-m", "bench.reference", "--bind", bind, "--api-token", API_TOKEN], env


@dataclass
class Server:
    kind: str
    port: int
    process: subprocess.Popen[bytes]
    startup_seconds: float = 0.0
    log: Path = field(default_factory=Path)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def rss_kib(self) -> int:
        """Resident set size of the server process, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start(kind: str, log_dir: Path, timeout: float = 20.0, code: Path | None = None) -> Server:
    """Start a server and wait for its first healthy answer; the wait is the start-up time. ``code``:
    ours from another checkout's code (bench/ab.py), started as ``make run`` starts it."""
    port = free_port()
    argv, env = _command("ours" if code else kind, f"127.0.0.1:{port}")
    if code is not None:
        env["PYTHONPATH"] = str(code)
    log = log_dir / f"{kind}-{port}.log"
    began = time.perf_counter()
    with log.open("wb") as out:
        cores = BOTH_CORES if kind in WORKER_KINDS else SERVER_CORE
        process = subprocess.Popen(pinned(cores, argv), env=env, cwd=ROOT, stdout=out, stderr=out)
    server = Server(kind, port, process, log=log)
    deadline = began + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(server.url("/health"), timeout=1) as reply:
                if reply.status == 200:
                    server.startup_seconds = time.perf_counter() - began
                    return server
        except OSError:
            time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{kind} server not healthy after {timeout} s; see {log}")
