"""The screen through RandR 1.2: the current size, the sizes on offer, and switching between them.

RandR 1.1 rates are broken in python-xlib (and xcffib), so every rate here is computed from the mode's
timings (dot clock / (h_total x v_total)) and rounded, as RandR 1.1 would report it.
"""

from __future__ import annotations

import logging
from typing import Any

from Xlib import X
from Xlib import error as xerror
from Xlib.display import Display
from Xlib.ext import randr

from ..config import ScreenSize
from .cvt import cvt
from .xconn import XRequestFailed, checked

log = logging.getLogger("nekoapi.desktop.screen")

UNKNOWN_RATE = 60  # Xvfb's one mode has no timings
DPI = 96.0
# The name of a mode a switch created ("1000x700_60+switch"): it lives while it is shown, so sizes
# asked for once do not pile up on the output (the configured modes have no suffix).
ADDED = "+switch"


class ScreenSizeError(Exception):
    """The X server cannot show this size (the message is for the log)."""


def mode_rate(mode: Any) -> int:
    if not (mode.dot_clock and mode.h_total and mode.v_total):
        return UNKNOWN_RATE
    return round(mode.dot_clock / (mode.h_total * mode.v_total))


def _output(d: Display, res: Any) -> tuple[int, Any]:
    """The output showing the screen (the first connected one with a CRTC)."""
    fallback = None
    for output in res.outputs:
        info = d.xrandr_get_output_info(output, res.config_timestamp)
        if info.crtc:
            return output, info
        if fallback is None and info.connection == randr.Connected:
            fallback = (output, info)
    if fallback is None:
        raise ScreenSizeError("no connected output")
    return fallback


def current(d: Display) -> ScreenSize:
    root = d.screen().root
    res = root.xrandr_get_screen_resources()
    _, info = _output(d, res)
    modes = {m.id: m for m in res.modes}
    if info.crtc:
        crtc = d.xrandr_get_crtc_info(info.crtc, res.config_timestamp)
        if crtc.mode in modes:
            return ScreenSize(crtc.width, crtc.height, mode_rate(modes[crtc.mode]))
    geometry = root.get_geometry()
    return ScreenSize(geometry.width, geometry.height, UNKNOWN_RATE)


def configurations(d: Display) -> list[ScreenSize]:
    """The output's sizes and rates that the screen can show, largest first; rates are Neko's: none
    above 60, and above 30 only multiples of 10."""
    root = d.screen().root
    res = root.xrandr_get_screen_resources()
    _, info = _output(d, res)
    limits = root.xrandr_get_screen_size_range()
    modes = {m.id: m for m in res.modes}
    found = {ScreenSize(modes[i].width, modes[i].height, mode_rate(modes[i])) for i in info.modes if i in modes}
    offered = [s for s in found if _fits(s, limits) and (s.rate <= 30 or (s.rate <= 60 and s.rate % 10 == 0))]
    return sorted(offered, key=lambda s: (s.width * s.height, s.width, s.rate), reverse=True)


def _fits(size: ScreenSize, limits: Any) -> bool:
    """Whether the screen can take ``size`` (RandR's screen size range; never an empty side)."""
    return max(1, limits.min_width) <= size.width <= limits.max_width and (
        max(1, limits.min_height) <= size.height <= limits.max_height
    )


def normalize(width: int, height: int, rate: int) -> ScreenSize:
    """Neko's rules: the width rounded down to a multiple of 8, rate 0 meaning 60."""
    return ScreenSize(width // 8 * 8, height, rate or 60)


def change(d: Display, wanted: ScreenSize) -> ScreenSize:
    """Switch to ``wanted`` (a CVT mode is added when the output has none); the size read back."""
    try:
        with checked(d):
            _switch(d, wanted)
    except (XRequestFailed, xerror.XError) as exc:
        size = f"{wanted.width}x{wanted.height}@{wanted.rate}"
        raise ScreenSizeError(f"unsupported screen configuration {size}: {exc}") from None
    finally:
        _forget_added_modes(d)
    return current(d)


def _switch(d: Display, wanted: ScreenSize) -> None:
    root = d.screen().root
    res = root.xrandr_get_screen_resources()
    output, info = _output(d, res)
    if not info.crtc:
        raise ScreenSizeError("the output has no CRTC")
    limits = root.xrandr_get_screen_size_range()
    if not _fits(wanted, limits):  # checked before a mode is made for it
        raise ScreenSizeError(f"outside the screen size range {limits.max_width}x{limits.max_height}")
    mode = _find_mode(d, res, output, info, wanted) or _add_mode(d, root, output, wanted)
    crtc = d.xrandr_get_crtc_info(info.crtc, res.config_timestamp)
    # The CRTC must fit the screen at every step: grow the screen first, shrink it last.
    _set_screen_size(root, max(crtc.width, wanted.width), max(crtc.height, wanted.height))
    reply = d.xrandr_set_crtc_config(info.crtc, res.config_timestamp, 0, 0, mode, randr.Rotate_0, [output])
    if reply.status != randr.SetConfigSuccess:
        raise ScreenSizeError(f"RRSetCrtcConfig status {reply.status}")
    _set_screen_size(root, wanted.width, wanted.height)


def _set_screen_size(root: Any, width: int, height: int) -> None:
    root.xrandr_set_screen_size(width, height, round(width * 25.4 / DPI), round(height * 25.4 / DPI))


def _find_mode(d: Display, res: Any, output: int, info: Any, wanted: ScreenSize) -> int | None:
    """A mode of this size and rate on the output, or the one an earlier switch made for it: CVT's
    rate is off for tiny sizes (64x64 at 60 Hz comes out at 47), and a second RRCreateMode with the
    same name is BadName."""
    offered, ours = set(info.modes), _mode_name(wanted)
    for mode, _ in _named(res):
        if mode.id in offered and (mode.width, mode.height, mode_rate(mode)) == (
            wanted.width,
            wanted.height,
            wanted.rate,
        ):
            return int(mode.id)
    for mode, name in _named(res):
        if name == ours:
            if mode.id not in offered:
                d.xrandr_add_output_mode(output, mode.id)
            return int(mode.id)
    return None


def _mode_name(wanted: ScreenSize) -> str:
    return f"{wanted.width}x{wanted.height}_{wanted.rate}{ADDED}"


def _add_mode(d: Display, root: Any, output: int, wanted: ScreenSize) -> int:
    """Create ``WxH_R`` with CVT timings (Neko uses libxcvt) and offer it on the output."""
    timings = cvt(wanted.width, wanted.height, wanted.rate)
    lines = (timings.h_total, timings.v_total, timings.h_sync_end, timings.v_sync_end)
    if not (0 < timings.dot_clock < 2**32 and timings.width > 0 and all(0 < v <= 0xFFFF for v in lines)):
        raise ScreenSizeError("no mode line can be made for it")  # e.g. a pixel clock past RandR's 32 bits
    name = _mode_name(wanted)
    info = {
        "id": 0,
        "width": timings.width,
        "height": timings.height,
        "dot_clock": timings.dot_clock,
        "h_sync_start": timings.h_sync_start,
        "h_sync_end": timings.h_sync_end,
        "h_total": timings.h_total,
        "h_skew": 0,
        "v_sync_start": timings.v_sync_start,
        "v_sync_end": timings.v_sync_end,
        "v_total": timings.v_total,
        "name_length": len(name),
        "flags": randr.HSyncNegative | randr.VSyncPositive,
    }
    mode = root.xrandr_create_mode(info, name).mode
    d.xrandr_add_output_mode(output, mode)
    return int(mode)


def _forget_added_modes(d: Display) -> None:
    """Remove the modes switches added that the screen does not show now (one that failed among them).
    Best effort: a mode X will not let go of is tried again after the next switch."""
    try:
        with checked(d):
            res = d.screen().root.xrandr_get_screen_resources()
            output, info = _output(d, res)
            shown = d.xrandr_get_crtc_info(info.crtc, res.config_timestamp).mode if info.crtc else None
            for mode in _added(res):
                if mode != shown:
                    if mode in info.modes:
                        d.xrandr_delete_output_mode(output, mode)
                    d.xrandr_destroy_mode(mode)
    except (XRequestFailed, xerror.XError, ScreenSizeError) as exc:
        log.debug("screen: an added mode could not be removed: %s", exc)


def _named(res: Any) -> list[tuple[Any, str]]:
    """Every mode with its name (``mode_names`` holds them end to end)."""
    named, start = [], 0
    for mode in res.modes:
        named.append((mode, res.mode_names[start : start + mode.name_length]))
        start += mode.name_length
    return named


def _added(res: Any) -> list[int]:
    """The ids of the modes a switch added, found by their names."""
    return [int(mode.id) for mode, name in _named(res) if name.endswith(ADDED)]


def fit_windows(d: Display, size: ScreenSize) -> None:
    """Stretch the top-level windows over the new screen (there is no window manager to do it)."""
    for window in d.screen().root.query_tree().children:
        attributes = window.get_attributes()
        if attributes.map_state == X.IsViewable and not attributes.override_redirect:
            window.configure(x=0, y=0, width=size.width, height=size.height)
    d.flush()
