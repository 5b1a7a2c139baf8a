"""How nekoapi starts a Chromium-family browser: its flags, its DevTools pipe, its policies and extensions.

The DevTools protocol is reached over ``--remote-debugging-pipe`` (the browser reads commands on
fd 3 and writes on fd 4), never over a TCP port: no other process or user of the machine, and no
page in the browser itself, can reach it; only nekoapi, which proxies it (desktop/cdp.py).

Chromium reads managed policies only from a fixed system folder (``/etc/chromium/policies``;
the ``--policy`` switch works on Android alone). So that one instance's policies reach neither
the system nor any other browser on the machine, the browser runs in a mount namespace of its
own in which that folder is a private copy: the system's files plus ours (``nekoapi.json``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .screen import ScreenSize

# No sandbox as root (Chromium refuses otherwise); --test-type hides the "unsupported flag" bar.
CHROMIUM_FLAGS = (
    "--test-type",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,MediaRouter",
    "--password-store=basic",
    "--disable-dev-shm-usage",
    "--window-position=0,0",
)
# Where each browser family reads its system configuration (policies under policies/managed).
SYSTEM_CONFIG = {"chromium": Path("/etc/chromium"), "chrome": Path("/etc/opt/chrome")}
POLICY_FILE = "nekoapi.json"
# Moves the pipe's ends onto fds 3 and 4 (posix_spawn-like; dash cannot name fds above 9), mounts
# the private configuration folder when there is one, and becomes the browser.
_TRAMPOLINE = (
    "r=$1 w=$2 etc=$3 target=$4; shift 4; "
    'if [ -n "$etc" ]; then mount --bind "$etc" "$target" || exit 70; fi; '
    'exec 3<&"$r" 4>&"$w" {r}<&- {w}>&-; exec "$@"'
)


def is_chromium(argv0: str) -> bool:
    return "chrom" in Path(argv0).name


def family(argv0: str) -> str:
    name = Path(argv0).name
    return "chrome" if "chrome" in name and "chromium" not in name else "chromium"


def browser_flags(profile: Path, size: ScreenSize, extensions: tuple[str, ...]) -> list[str]:
    flags = [
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={size.width},{size.height}",
        "--remote-debugging-pipe",
    ]
    if extensions:
        # The last --load-extension wins: Debian's launcher passes an empty one of its own first.
        flags.append("--load-extension=" + ",".join(str(Path(e).resolve()) for e in extensions))
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    return flags


def command_line(app: str, profile: Path, size: ScreenSize, extensions: tuple[str, ...] = ()) -> list[str]:
    """``app`` split like a shell would; Chromium-family browsers get our flags, profile and size."""
    argv = shlex.split(app)
    if not is_chromium(argv[0]):
        return argv
    return [argv[0], *browser_flags(profile, size, extensions), *argv[1:]]


class DevToolsPipe:
    """The two pipes of ``--remote-debugging-pipe``; ``child_fds`` go to the browser, the rest stay ours."""

    def __init__(self) -> None:
        browser_reads, we_write = os.pipe()
        we_read, browser_writes = os.pipe()
        # Above 9 and close-on-exec here; pass_fds makes them inheritable for the one child.
        self.child_fds = (_high(browser_reads), _high(browser_writes))
        self.read_fd, self.write_fd = we_read, we_write

    def close_child_ends(self) -> None:
        for fd in self.child_fds:
            _close(fd)

    def close(self) -> None:
        self.close_child_ends()
        for fd in (self.read_fd, self.write_fd):
            _close(fd)


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def launch_argv(argv: list[str], pipe: DevToolsPipe, private_etc: Path | None) -> list[str]:
    """The browser's ``argv`` behind the trampoline (and in its own mount namespace with ``private_etc``)."""
    target = str(SYSTEM_CONFIG[family(argv[0])]) if private_etc is not None else ""
    read, write = pipe.child_fds
    args = [str(read), str(write), str(private_etc or ""), target]
    inner = ["/bin/bash", "-c", _TRAMPOLINE, "nekoapi-browser", *args, *argv]
    if private_etc is None:
        return inner
    return ["unshare", "--mount", "--propagation", "private", "--", *inner]


def prepare_policies(argv0: str, policies: Mapping[str, Any]) -> Path:
    """A private copy of the browser's system configuration folder, with ``policies`` added (blocking)."""
    system = SYSTEM_CONFIG[family(argv0)]
    if not system.is_dir():
        raise FileNotFoundError(f"{system} does not exist, so the browser's policies cannot be shown there")
    private = Path(tempfile.mkdtemp(prefix="nekoapi-browser-etc-"))
    try:
        shutil.copytree(system, private, symlinks=True, dirs_exist_ok=True)
        managed = private / "policies" / "managed"
        managed.mkdir(parents=True, exist_ok=True)
        (managed / POLICY_FILE).write_text(json.dumps(dict(policies)), encoding="utf-8")
        os.chmod(private, 0o755)  # the browser's processes read it; nobody but root writes it
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)
        raise
    return private
