"""The programs nekoapi starts (its X server, the app, PulseAudio, the TURN relay) end with it, however it ends.

A graceful stop terminates them itself. A SIGKILL (or the OOM killer) gives it no chance: they
would run on, holding a display and a browser's memory. So the first of them also starts one small
reaper process, which reads their process-group ids from a pipe. When nekoapi dies, in any way,
the kernel closes its end of the pipe; the reaper then terminates every group it was given that
still runs (SIGTERM, SIGKILL 3 s later) and exits. A group whose leader's pid now belongs to
another program (same pid, another start time) is left alone.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

# Run as ``python -I -S -c``: the standard library only, nothing of nekoapi.
REAPER = r"""
import os, signal, sys, time

def started(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None

def running(group):
    try:
        os.killpg(group, 0)
        return True
    except OSError:
        return False

def signal_all(groups, sig):
    for group in groups:
        try:
            os.killpg(group, sig)
        except OSError:
            pass

given = {}
for line in sys.stdin:
    if line.strip().isdigit():
        given[int(line)] = started(int(line))
groups = [g for g, start in given.items() if started(g) in (None, start)]
signal_all(groups, signal.SIGTERM)
deadline = time.monotonic() + 3
while time.monotonic() < deadline and any(running(g) for g in groups):
    time.sleep(0.1)
signal_all([g for g in groups if running(g)], signal.SIGKILL)
"""


class Reaper:
    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def watch(self, group: int) -> None:
        """Ends process group ``group`` (a child started with ``start_new_session``) when nekoapi dies."""
        with self._lock:
            try:
                if self._process is None or self._process.poll() is not None:
                    self._process = subprocess.Popen(
                        [sys.executable, "-I", "-S", "-c", REAPER],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,  # a terminal's Ctrl-C reaches nekoapi, which stops its children itself
                    )
                assert self._process.stdin is not None
                self._process.stdin.write(f"{group}\n".encode())
                self._process.stdin.flush()
            except OSError as exc:  # no reaper: the child runs as before, only without this guard
                log.warning("cannot watch process group %d: %s", group, exc)


_reaper = Reaper()


def end_with_nekoapi(group: int) -> None:
    _reaper.watch(group)
