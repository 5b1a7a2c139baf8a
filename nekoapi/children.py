"""Child processes of the event loop's code, started so that they run no Python before exec, whatever the loop.

uvloop's own subprocesses run the interpreter's after-fork clean-up in each child, which frees other
threads' thread-local state there: a PyAV scaler of the video capture was seen to hang such a child
before exec, and the server's loop, waiting for that exec, with it (at a browser restart).
``subprocess.Popen`` without ``preexec_fn`` runs no Python in the child, so children start through
it, in a worker thread (a fork is blocking work), and their exit is awaited through a pidfd that
the loop watches (a thread waits where the kernel has no pidfd).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import Sequence
from typing import Any


class Child:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self.pid = process.pid
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = loop.create_future()
        try:
            descriptor = os.pidfd_open(process.pid)
        except (AttributeError, OSError):
            waiting = asyncio.ensure_future(asyncio.to_thread(process.wait))
            waiting.add_done_callback(lambda done: self._settle(done.result()))
            return
        loop.add_reader(descriptor, self._reap, loop, descriptor)

    @property
    def returncode(self) -> int | None:
        """The exit status once the child has ended and been reaped, else None."""
        return self._process.returncode

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    async def write(self, data: bytes) -> None:
        """To the child's stdin (``stdin=subprocess.PIPE``); BrokenPipeError once it has gone."""
        await asyncio.to_thread(self._write, data)

    def close_stdin(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def kill(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    def _write(self, data: bytes) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(data)
        self._process.stdin.flush()

    def _reap(self, loop: asyncio.AbstractEventLoop, descriptor: int) -> None:
        loop.remove_reader(descriptor)
        os.close(descriptor)
        self._settle(self._process.wait())  # the child has exited: this reaps it at once

    def _settle(self, code: int) -> None:
        if not self._exited.done():
            self._exited.set_result(code)


async def spawn(argv: Sequence[str], **popen: Any) -> Child:
    """``subprocess.Popen(argv, **popen)`` off the loop; stdin, stdout and stderr default to /dev/null."""
    for stream in ("stdin", "stdout", "stderr"):
        popen.setdefault(stream, subprocess.DEVNULL)
    if "preexec_fn" in popen:
        raise ValueError("a preexec_fn would run Python in the child")
    return Child(await asyncio.to_thread(subprocess.Popen, list(argv), **popen))
