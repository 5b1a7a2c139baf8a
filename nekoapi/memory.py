"""Memory the process freed goes back to the system once its resident size has grown.

The media work in threads (a stage's encoder, parec readers, aiortc's own), and glibc gives each
thread an arena of its own. Freed memory stays in those arenas: after 150 viewers came and went the
server's RSS stood 90 % above its start with nothing of them left, and ``malloc_trim`` brought it
back to the start (the soak, bench/soak.py). So every ``CHECK_INTERVAL`` seconds, when the resident
size grew by ``GROWTH`` since the last trim, a worker thread trims. Without glibc (musl) there is
nothing to call and this does nothing.

A trim gives back only whole free pages, and a page of an arena that still holds one live block
stays. So before the media threads start, ``tune_allocator`` sets glibc's malloc up to leave less
behind: at most ``ARENA_MAX`` arenas for all threads (fewer partly used heaps), and blocks from
``MMAP_THRESHOLD`` up (video frames and encoder buffers) in mappings of their own, given back whole
when freed. glibc otherwise raises that threshold to the size of the largest block freed, so after
the first frames every frame buffer came from the arenas. Setting it also fixes the trim threshold.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# mallopt's parameters (glibc's malloc.h) and what nekoapi sets them to.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
ARENA_MAX = 2
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept fixed
TRIM_THRESHOLD = MMAP_THRESHOLD  # free memory at the top of a heap past this is given back at once
CHECK_INTERVAL = 10.0  # seconds
GROWTH = 16 * 1024 * 1024  # bytes of resident growth since the last trim that make it worth one
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def tune_allocator() -> bool:
    """glibc's malloc set up as the module says, for the whole process; False without glibc."""
    mallopt = _libc_function("mallopt", [ctypes.c_int, ctypes.c_int])
    if mallopt is None:
        return False
    settings = {M_ARENA_MAX: ARENA_MAX, M_MMAP_THRESHOLD: MMAP_THRESHOLD, M_TRIM_THRESHOLD: TRIM_THRESHOLD}
    applied = all([mallopt(param, value) == 1 for param, value in settings.items()])  # each, even after a refusal
    log.debug("malloc tuned: %s", applied)
    return applied


def _malloc_trim() -> Callable[[int], int] | None:
    return _libc_function("malloc_trim", [ctypes.c_size_t])


def _libc_function(name: str, argtypes: list[type]) -> Callable[..., int] | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        function = getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = argtypes, ctypes.c_int
    return function  # type: ignore[no-any-return]


class MemoryTrimmer:
    def __init__(self, interval: float = CHECK_INTERVAL, growth: int = GROWTH) -> None:
        self._interval, self._growth = interval, growth
        self._trim = _malloc_trim()
        self._task: asyncio.Task[None] | None = None
        self.trims = 0

    def start(self) -> None:
        if self._trim is not None and os.path.exists("/proc/self/statm"):
            self._task = asyncio.create_task(self._run(), name="memory-trim")

    async def _run(self) -> None:
        floor = resident_bytes()  # the least the process has needed: at start, or after a trim
        while True:
            await asyncio.sleep(self._interval)
            if resident_bytes() - floor >= self._growth:
                floor = min(floor, await asyncio.to_thread(self.trim))

    def trim(self) -> int:
        """Blocking: give freed memory back now; the resident size after."""
        assert self._trim is not None
        before, began = resident_bytes(), time.perf_counter()
        self._trim(0)
        after = resident_bytes()
        self.trims += 1
        log.debug(
            "memory trimmed in %.1f ms: %d -> %d MiB", (time.perf_counter() - began) * 1000, before >> 20, after >> 20
        )
        return after

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
