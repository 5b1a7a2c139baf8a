"""Freed memory goes back to the system: what a thread freed between blocks still in use is trimmed."""

from __future__ import annotations

import subprocess
import sys
import threading

from nekoapi.memory import ARENA_MAX
from tests.support.patience import REPLY

MIB = 1024 * 1024


def fragment(kept: list[bytearray], mib: int = 96) -> None:
    """In a thread of its own (an arena of its own): ``mib`` MiB freed between small blocks kept alive,
    as a viewer's buffers are between what outlives it, so no free() can shrink the heap by itself."""

    def work() -> None:
        big = []
        for _ in range(mib * 16):
            big.append(bytearray(b"x" * (64 * 1024)))  # below glibc's mmap threshold: from the arena
            kept.append(bytearray(b"y" * 1024))  # past pymalloc: from the same arena
        big.clear()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


# In a fresh interpreter with the allocator tuned as the server tunes it: in a test process that
# has run other tests, the freed blocks share an arena with whatever those left.
_TRIM = """
from nekoapi.memory import MemoryTrimmer, resident_bytes, tune_allocator
from tests.unit.test_memory import fragment

assert tune_allocator()
kept = []
fragment(kept)
before = resident_bytes()
after = MemoryTrimmer().trim()
assert kept  # the blocks in use stay
print(before, after)
"""


def test_a_trim_gives_back_what_a_thread_freed() -> None:
    done = subprocess.run([sys.executable, "-c", _TRIM], capture_output=True, text=True, timeout=REPLY)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before - after > 48 * MIB, (before // MIB, after // MIB)


# Also in a fresh interpreter: in a test process that has run other tests, the fragment's blocks may
# come from memory those freed, so the process need not grow at all.
_TRIMMER = """
import asyncio, sys
from nekoapi.memory import MemoryTrimmer
from tests.unit.test_memory import MIB, fragment

async def main() -> int:
    trimmer, kept = MemoryTrimmer(interval=0.05, growth=32 * MIB), []
    trimmer.start()
    try:
        await asyncio.sleep(0.1)
        assert trimmer.trims == 0, "a trim with nothing grown"
        await asyncio.to_thread(fragment, kept)
        deadline = asyncio.get_running_loop().time() + float(sys.argv[1])
        while trimmer.trims == 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return trimmer.trims
    finally:
        trimmer.stop()

print(asyncio.run(main()))
"""


def test_the_trimmer_trims_once_the_process_grew() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _TRIMMER, str(REPLY)], capture_output=True, text=True, timeout=2 * REPLY
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0, "no trim"


# Run in a fresh interpreter: mallopt's settings are the whole process's, and glibc's own
# adjustments depend on what the process freed before.
_PROBE = """
import ctypes, ctypes.util, sys, threading
from nekoapi.memory import tune_allocator

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = Mallinfo2
if sys.argv[1] == "tuned":
    assert tune_allocator()

# A frame's buffer freed: untuned, glibc raises its mmap threshold to that size.
libc.free(libc.malloc(4 << 20))
before = libc.mallinfo2().hblkhd
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblkhd - before)

# Eight threads allocating at once, as the media's do: how many arenas serve them.
barrier = threading.Barrier(8)
def work():
    kept = libc.malloc(64 << 10)
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()  # one "Arena n:" paragraph per arena, on stderr
"""


def _probe(mode: str) -> tuple[int, int]:
    """(bytes of a 1 MiB block in its own mapping after a 4 MiB one was freed, arenas of 8 threads)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, timeout=REPLY)
    assert done.returncode == 0, done.stderr
    return int(done.stdout), done.stderr.count("Arena ")


def test_the_tuned_allocator_maps_large_blocks_and_keeps_few_arenas() -> None:
    mapped, arenas = _probe("tuned")
    assert mapped >= MIB  # given back whole when freed, whatever was freed before
    assert arenas <= ARENA_MAX
    # What glibc does untuned, so the figures above show the tuning's effect.
    mapped, arenas = _probe("untuned")
    assert mapped == 0 and arenas > ARENA_MAX
