"""The quality ladder's value types and our ``capture.video.pipelines`` schema.

Each id is one encoder at its own size, frame rate (at most 60) and bitrate. ``width``/``height`` omitted
means the screen's size; a size larger than the screen is capped to it. Without
``capture.video.pipelines`` the ladder is ``main`` (the screen at 25 fps), and, on a machine with
``FAST_RUNG_CPUS`` or more cores, ``main60`` too: the screen at 60 fps for a viewer who picks it
(frames are grabbed only when the screen changes, so it costs only while something moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .declare import Invalid
from .values import json_object

DEFAULT_ID = "main"
DEFAULT_FPS = 25
DEFAULT_BITRATE = 2000  # kbit/s, Neko's default vp8enc target is about 1950
MAX_FPS = 60
FAST_ID, FAST_RUNG_CPUS = "main60", 4
_KEYS = ("width", "height", "fps", "bitrate", "min_bitrate", "max_bitrate")


@dataclass(frozen=True)
class Rung:
    id: str
    width: int | None = None  # None: the screen's
    height: int | None = None
    fps: int = DEFAULT_FPS
    bitrate: int = DEFAULT_BITRATE  # kbit/s, the starting target
    min_bitrate: int = max(DEFAULT_BITRATE // 4, 100)  # receivers' feedback moves the target within these bounds
    max_bitrate: int = DEFAULT_BITRATE

    def size(self, screen_width: int, screen_height: int) -> tuple[int, int]:
        """The encoded size: even numbers (yuv420p), never above the screen."""
        width = min(self.width or screen_width, screen_width)
        height = min(self.height or screen_height, screen_height)
        return width & ~1, height & ~1


@dataclass(frozen=True)
class Ladder:
    codec: str
    rungs: tuple[Rung, ...]

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rungs]

    def get(self, rung_id: str) -> Rung | None:
        return next((r for r in self.rungs if r.id == rung_id), None)


def pipelines(raw: Any) -> dict[str, Rung]:
    """id -> {width, height, fps, bitrate, min_bitrate, max_bitrate}: a YAML mapping, or JSON text."""
    found = json_object(raw)
    return {str(rung_id): _rung(str(rung_id), spec) for rung_id, spec in found.items()}


def _rung(rung_id: str, spec: Any) -> Rung:
    if not isinstance(spec, dict):
        raise Invalid("expected an object", at=rung_id)
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise Invalid("unknown key", at=f"{rung_id}.{unknown[0]}")
    values = {k: _positive(v, f"{rung_id}.{k}") for k, v in spec.items()}
    bitrate = values.get("bitrate", DEFAULT_BITRATE)
    low, high = values.get("min_bitrate", max(bitrate // 4, 100)), values.get("max_bitrate", bitrate)
    if not low <= bitrate <= high:
        raise Invalid("expected min_bitrate <= bitrate <= max_bitrate", at=rung_id)
    fps = values.get("fps", DEFAULT_FPS)
    if fps > MAX_FPS:
        raise Invalid(f"expected at most {MAX_FPS}", at=f"{rung_id}.fps", got=fps)
    return Rung(rung_id, values.get("width"), values.get("height"), fps, bitrate, low, high)


def default_rungs(cpus: int) -> dict[str, Rung]:
    """The ladder without ``capture.video.pipelines``: ``main``, plus ``main60`` where the cores allow."""
    rungs = {DEFAULT_ID: Rung(DEFAULT_ID)}
    if cpus >= FAST_RUNG_CPUS:
        bitrate = DEFAULT_BITRATE * 3 // 2
        rungs[FAST_ID] = Rung(FAST_ID, fps=MAX_FPS, bitrate=bitrate, min_bitrate=bitrate // 4, max_bitrate=bitrate)
    return rungs


def _positive(value: Any, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid("expected a whole number above 0", at=at, got=value)
    return value
