"""The X server nekoapi starts when none is configured: Xorg with the dummy video driver.

Xorg-dummy can switch sizes at run time (RandR 1.2), which Xvfb cannot; Xvfb at one fixed size is the
fallback where the dummy driver is missing or Xorg refuses to start. The server picks its own free
display number (``-displayfd``), so several servers on one machine never race for a number.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..reaper import end_with_nekoapi
from .cvt import cvt

log = logging.getLogger("nekoapi.desktop.xserver")

DUMMY_DRIVER = Path("/usr/lib/xorg/modules/drivers/dummy_drv.so")


@dataclass(frozen=True)
class Mode:
    width: int
    height: int
    rate: int

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height}_{self.rate}"


# Neko's screen list: 1920x1080@60 down to the small sizes, each also at 30 Hz where Neko offers it.
NEKO_MODES: tuple[Mode, ...] = (
    Mode(1920, 1080, 60),
    Mode(1920, 1080, 30),
    Mode(1600, 900, 60),
    Mode(1600, 900, 30),
    Mode(1368, 768, 60),
    Mode(1368, 768, 30),
    Mode(1280, 720, 60),
    Mode(1280, 720, 30),
    Mode(1152, 648, 60),
    Mode(1152, 648, 30),
    Mode(1024, 576, 60),
    Mode(1024, 576, 30),
    Mode(960, 720, 60),
    Mode(960, 720, 30),
    Mode(800, 600, 60),
    Mode(800, 600, 30),
)
FALLBACK_MODE = Mode(1280, 720, 30)
BACKENDS = ("auto", "xorg", "xvfb")


class XServerError(RuntimeError):
    """The X server did not come up."""


def xorg_config(modes: tuple[Mode, ...], virtual: tuple[int, int]) -> str:
    """An xorg.conf for one dummy screen offering ``modes`` (the first is the start size)."""
    modelines = "\n".join(f"  {cvt(m.width, m.height, m.rate).modeline(m.name)}" for m in modes)
    names = " ".join(f'"{m.name}"' for m in modes)
    return f"""Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AutoEnableDevices" "false"
  Option "DontVTSwitch" "true"
EndSection
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0 - 1000.0
  VertRefresh 5.0 - 200.0
{modelines}
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Modes {names}
    Virtual {virtual[0]} {virtual[1]}
  EndSubSection
EndSection
Section "ServerLayout"
  Identifier "layout"
  Screen "screen"
EndSection
"""


def dummy_available() -> bool:
    return DUMMY_DRIVER.exists() and shutil.which("Xorg") is not None


class XServer:
    """One X server process: ``start()`` brings it up and returns its display name, ``stop()`` ends it."""

    def __init__(
        self,
        backend: str = "auto",
        modes: tuple[Mode, ...] = NEKO_MODES,
        virtual: tuple[int, int] = (1920, 1080),
        fallback: Mode = FALLBACK_MODE,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown X server backend {backend!r} (one of {', '.join(BACKENDS)})")
        self.backend, self.modes, self.virtual, self.fallback = backend, modes, virtual, fallback
        self.kind: str | None = None  # "xorg" or "xvfb" once started
        self.display: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 15.0) -> str:
        """Start the server (blocking); the display name, e.g. ``":57"``."""
        self._dir = tempfile.TemporaryDirectory(prefix="nekoapi-x-")
        if self.backend in ("auto", "xorg") and (self.backend == "xorg" or dummy_available()):
            try:
                return self._launch("xorg", self._xorg_command(), timeout)
            except XServerError:
                if self.backend == "xorg":
                    raise
                log.warning("Xorg with the dummy driver did not start; falling back to Xvfb", exc_info=True)
        return self._launch("xvfb", self._xvfb_command(), timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """End the server (SIGTERM, then SIGKILL) and remove its files."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
        self.display = None

    def _path(self, name: str) -> Path | None:
        return Path(self._dir.name) / name if self._dir else None

    def _xorg_command(self) -> list[str]:
        assert self._dir is not None  # start() made it
        workdir = Path(self._dir.name)
        (workdir / "xorg.conf").write_text(xorg_config(self.modes, self.virtual))
        (workdir / "conf.d").mkdir(exist_ok=True)
        return [
            "Xorg",
            "-config",
            str(workdir / "xorg.conf"),
            "-configdir",
            str(workdir / "conf.d"),
            "-noreset",
            "-nolisten",
            "tcp",
            "-logfile",
            str(workdir / "xorg.log"),
        ]

    def _xvfb_command(self) -> list[str]:
        size = f"{self.fallback.width}x{self.fallback.height}x24"
        return ["Xvfb", "-screen", "0", size, "-noreset", "-nolisten", "tcp"]

    def _launch(self, kind: str, command: list[str], timeout: float) -> str:
        read_fd, write_fd = os.pipe()
        logfile = open(self._path("x.log") or os.devnull, "ab")  # noqa: SIM115 - kept by the child only
        try:
            proc = subprocess.Popen(
                [*command, "-displayfd", str(write_fd)],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
            logfile.close()
        end_with_nekoapi(proc.pid)
        try:
            number = _read_display(read_fd, proc, timeout)
        except XServerError:
            _terminate(proc)
            raise
        finally:
            os.close(read_fd)
        self._proc, self.kind, self.display = proc, kind, f":{number}"
        log.info("%s started on display %s (pid %d)", kind, self.display, proc.pid)
        return self.display


def _read_display(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> int:
    """The display number the server writes once it accepts connections."""
    deadline, data = time.monotonic() + timeout, b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise XServerError(f"{proc.args[0]} did not report a display within {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.2))
        chunk = os.read(fd, 64) if ready else b""
        if ready and not chunk:
            raise XServerError(f"{proc.args[0]} exited with status {proc.wait()} before reporting a display")
        data += chunk
    return int(data.strip())


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
