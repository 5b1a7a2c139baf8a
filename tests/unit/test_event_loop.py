"""nekoapi's children run no Python before exec, on the loop it serves on (uvloop).

Under uvloop, the interpreter's after-fork clean-up runs in each child the loop itself starts and frees
other threads' thread-local state; a PyAV scaler freed there waits for threads the child does not
have, and the child (and the server's loop, waiting for its exec) hangs. So nekoapi starts children
through nekoapi/children.py. Each case runs in its own interpreter.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.patience import START

SCRIPT = """
import asyncio, os, sys, threading
import uvicorn

marker, loop, how = sys.argv[1], sys.argv[2], sys.argv[3]
parent = os.getpid()

class Held:
    def __del__(self):
        if os.getpid() != parent:
            with open(marker, "a") as out:
                out.write("freed in the child\\n")

kept = threading.local()

def worker(ready, done):
    kept.scaler = Held()  # only this thread refers to it, as the capture thread to its scaler
    ready.set()
    done.wait()

async def main():
    ready, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=worker, args=(ready, done))
    thread.start()
    ready.wait()
    if how == "ours":
        from nekoapi.children import spawn
        process = await spawn(["true"])
    else:
        process = await asyncio.create_subprocess_exec("true")
    assert await process.wait() == 0
    done.set()
    thread.join()

factory = uvicorn.Config(app=None, loop=loop).get_loop_factory()
with asyncio.Runner(loop_factory=factory) as runner:
    runner.run(main())
"""


def freed_in_a_child(tmp_path: Path, loop: str, how: str) -> bool:
    marker = tmp_path / f"{loop}-{how}.txt"
    subprocess.run([sys.executable, "-c", SCRIPT, str(marker), loop, how], check=True, timeout=START)
    return marker.exists()


def test_uvloop_s_own_children_would_free_another_threads_objects(tmp_path: Path) -> None:
    assert freed_in_a_child(tmp_path, "uvloop", "loop")  # the hazard nekoapi/children.py avoids, still there


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_our_children_free_nothing_in_the_child_on_either_loop(tmp_path: Path, loop: str) -> None:
    assert not freed_in_a_child(tmp_path, loop, "ours")


def test_the_server_serves_on_uvloop_and_starts_no_child_through_the_loop() -> None:
    from nekoapi.cli import EVENT_LOOP

    assert EVENT_LOOP == "uvloop"
    package = Path(__file__).resolve().parents[2] / "nekoapi"
    through_the_loop = re.compile(r"create_subprocess_(exec|shell)|subprocess_(exec|shell)\(")
    users = [str(p.relative_to(package)) for p in package.rglob("*.py") if through_the_loop.search(p.read_text())]
    assert users == []
