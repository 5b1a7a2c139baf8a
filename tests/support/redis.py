"""Redis for tests: reachability (skip, or fail under CI=true), unique key prefixes, a private server."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from .patience import START, STOP
from .process import free_port

SHARED_URL = os.environ.get("NEKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_PREFIXES = itertools.count()
# Every prefix of this test run starts with this, so the run can clean up after itself.
RUN_PREFIX = f"nekotest-{os.getpid()}"


def store_under_test() -> str:
    """``memory`` unless the suite runs against Redis (``NEKO_TEST_STORE=redis``, see ``make test``)."""
    return os.environ.get("NEKO_TEST_STORE", "memory")


def unique_prefix() -> str:
    return f"{RUN_PREFIX}-{next(_PREFIXES)}"


def _reachable(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")
    return False


def require_redis(url: str = SHARED_URL) -> str:
    """The URL of a reachable Redis; skips the test when there is none, fails instead under CI=true."""
    from redis.connection import parse_url

    parts = parse_url(url)
    if _reachable(parts.get("host", "127.0.0.1"), int(parts.get("port", 6379))):
        return url
    message = f"Redis at {url} is not reachable"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: Redis tests must run)")
    pytest.skip(message)


def redis_env(url: str | None = None, prefix: str | None = None) -> dict[str, str]:
    """The NEKO_* variables that select the Redis store with a prefix nobody else uses."""
    return {
        "NEKO_SESSION_STORE": "redis",
        "NEKO_REDIS_URL": url or require_redis(),
        "NEKO_REDIS_PREFIX": prefix or unique_prefix(),
    }


def delete_run_keys(url: str = SHARED_URL) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_timeout=2)
        keys = list(client.scan_iter(match=f"{RUN_PREFIX}-*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        client.close()


class PrivateRedis:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            require_redis("redis://127.0.0.1:1/0")  # skips, or fails under CI=true
        self._binary = binary or "redis-server"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START
        while not _reachable("127.0.0.1", self.port):
            if time.monotonic() > deadline:
                raise AssertionError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=STOP)
        self._process = None


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
