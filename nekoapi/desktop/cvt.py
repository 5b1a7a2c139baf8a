"""VESA CVT timings (normal blanking, progressive): the modes we give the X server.

Neko creates a missing mode with libxcvt; this is the same standard formula, so a size a client asks
for gets the timings a monitor would advertise for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_CELL = 8  # character cell: horizontal values are multiples of it
_MIN_VSYNC_BP_US = 550.0  # minimum vertical sync + back porch time
_MIN_V_PORCH = 3
_MIN_V_BPORCH = 6
_H_SYNC_PERCENT = 8.0
_C_PRIME = 30.0  # blanking formula gradient constants (C', M' of the standard)
_M_PRIME = 300.0
_CLOCK_STEP_KHZ = 250


@dataclass(frozen=True)
class Timings:
    """One mode line: pixel clock in Hz and the horizontal and vertical timings."""

    width: int
    height: int
    dot_clock: int
    h_sync_start: int
    h_sync_end: int
    h_total: int
    v_sync_start: int
    v_sync_end: int
    v_total: int

    @property
    def refresh(self) -> float:
        return self.dot_clock / (self.h_total * self.v_total)

    def modeline(self, name: str) -> str:
        """An xorg.conf ``Modeline`` (CVT modes are -hsync +vsync)."""
        return (
            f'Modeline "{name}" {self.dot_clock / 1e6:.2f} {self.width} {self.h_sync_start} '
            f"{self.h_sync_end} {self.h_total} {self.height} {self.v_sync_start} {self.v_sync_end} "
            f"{self.v_total} -hsync +vsync"
        )


def _vsync_lines(width: int, height: int) -> int:
    """The standard codes the aspect ratio in the vertical sync width."""
    for ratio, lines in ((4 / 3, 4), (16 / 9, 5), (16 / 10, 6), (5 / 4, 7), (15 / 9, 7)):
        if abs(height * ratio - width) < _CELL:
            return lines
    return 10


def cvt(width: int, height: int, refresh: float) -> Timings:
    """CVT timings for ``width`` x ``height`` at ``refresh`` Hz (width rounded down to 8)."""
    width = width // _CELL * _CELL
    h_period_us = (1e6 / refresh - _MIN_VSYNC_BP_US) / (height + _MIN_V_PORCH)
    vsync = _vsync_lines(width, height)
    vsync_bp = max(math.floor(_MIN_VSYNC_BP_US / h_period_us) + 1, vsync + _MIN_V_BPORCH)
    v_total = height + vsync_bp + _MIN_V_PORCH
    duty = max(_C_PRIME - _M_PRIME * h_period_us / 1000, 20.0)
    h_blank = math.floor(width * duty / (100 - duty) / (2 * _CELL)) * 2 * _CELL
    h_total = width + h_blank
    h_sync = math.floor(h_total * _H_SYNC_PERCENT / 100 / _CELL) * _CELL
    exact_hz = h_total * 1e6 / h_period_us
    # The standard rounds the clock down to 0.25 MHz; a tiny mode at a low rate (64x64 at 30 Hz) needs
    # less than one step, so it keeps its exact clock (RandR takes Hz) rather than a clock of 0.
    clock_hz = math.floor(exact_hz / 1000 / _CLOCK_STEP_KHZ) * _CLOCK_STEP_KHZ * 1000 or math.floor(exact_hz)
    h_sync_end = width + h_blank // 2
    v_sync_start = height + _MIN_V_PORCH
    return Timings(
        width=width,
        height=height,
        dot_clock=clock_hz,
        h_sync_start=h_sync_end - h_sync,
        h_sync_end=h_sync_end,
        h_total=h_total,
        v_sync_start=v_sync_start,
        v_sync_end=v_sync_start + vsync,
        v_total=v_total,
    )
