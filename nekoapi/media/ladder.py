"""The quality ladder: ``capture.video.ids`` and our ``capture.video.pipelines`` schema.

Each id is one encoder at its own size, frame rate and bitrate. ``width``/``height``
omitted means the screen's size; a size larger than the screen is capped to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import ConfigError, VideoCaptureConfig

DEFAULT_ID = "main"
DEFAULT_FPS = 25
DEFAULT_BITRATE = 2000  # kbit/s, Neko's default vp8enc target is about 1950
CODECS = ("vp8", "h264")
_KEYS = frozenset({"width", "height", "fps", "bitrate", "min_bitrate", "max_bitrate"})


@dataclass(frozen=True)
class Rung:
    id: str
    width: int | None  # None: the screen's
    height: int | None
    fps: int
    bitrate: int  # kbit/s, the starting target
    min_bitrate: int  # receivers' feedback moves the target within these bounds
    max_bitrate: int

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


def ladder(config: VideoCaptureConfig) -> Ladder:
    codec = config.codec.lower()
    if codec not in CODECS:
        raise ConfigError(f"capture.video.codec: expected one of {', '.join(CODECS)}, got {config.codec!r}")
    pipelines = config.pipelines or {DEFAULT_ID: {}}
    ids = list(config.ids) or list(pipelines)
    missing = [i for i in ids if i not in pipelines]
    if missing:
        raise ConfigError(f"capture.video.ids: {missing[0]!r} has no entry in capture.video.pipelines")
    return Ladder(codec, tuple(_rung(i, pipelines[i]) for i in ids))


def _rung(rung_id: str, spec: Any) -> Rung:
    where = f"capture.video.pipelines.{rung_id}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected an object")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key")
    values = {k: _positive(f"{where}.{k}", v) for k, v in spec.items()}
    bitrate = values.get("bitrate", DEFAULT_BITRATE)
    low, high = values.get("min_bitrate", max(bitrate // 4, 100)), values.get("max_bitrate", bitrate)
    if not low <= bitrate <= high:
        raise ConfigError(f"{where}: expected min_bitrate <= bitrate <= max_bitrate")
    fps = values.get("fps", DEFAULT_FPS)
    return Rung(rung_id, values.get("width"), values.get("height"), fps, bitrate, low, high)


def _positive(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}: expected a whole number above 0, got {value!r}")
    return value
