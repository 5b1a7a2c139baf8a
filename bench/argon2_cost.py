"""Scenario (4), second half: what argon2id would add to each login.

The multiuser provider compares plain passwords and never hashes, so the
login benchmark contains no argon2 work. This measures argon2-cffi's
``PasswordHasher`` with its default parameters directly, in this process, on
the server core, so the report can show the cost a hashing provider adds.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from .servers import SERVER_CORE


@dataclass(frozen=True)
class Argon2Cost:
    parameters: str
    hash_ms: float
    verify_ms: float
    samples: int


def measure(samples: int = 10) -> Argon2Cost:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(SERVER_CORE)})  # the core a server would hash on
    try:
        hashes, verifies = [], []
        encoded = hasher.hash("bench-password")
        for _ in range(samples):
            began = time.perf_counter()
            hasher.hash("bench-password")
            hashes.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            hasher.verify(encoded, "bench-password")
            verifies.append((time.perf_counter() - began) * 1000)
    finally:
        os.sched_setaffinity(0, before)
    parameters = f"time_cost={hasher.time_cost}, memory_cost={hasher.memory_cost} KiB, parallelism={hasher.parallelism}"
    return Argon2Cost(parameters, statistics.median(hashes), statistics.median(verifies), samples)
