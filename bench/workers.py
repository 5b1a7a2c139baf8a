"""Scenario 9: the same requests against one worker process and against two, on the Redis store."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from . import servers
from .http_scenarios import disconnect_case, list_case, seed, session_count_is
from .results import Results

REDIS = ("127.0.0.1", 6379)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def compare(results: Results, log_dir: Path, round_no: int, seconds: int) -> None:
    kinds = list(servers.WORKER_KINDS)
    for kind in kinds if round_no % 2 == 0 else reversed(kinds):
        server = servers.start(kind, log_dir)
        try:
            sessions = seed(server, 100, f"w{round_no}-")
            time.sleep(0.5)  # another worker's copy of the state may trail a write by milliseconds
            case = disconnect_case("w204", "POST disconnect -> 204 (100 sessions)", sessions[0][0])
            results.add(case, kind, server, seconds)
            results.add(list_case(100), kind, server, seconds, session_count_is(100))
        finally:
            server.stop()
