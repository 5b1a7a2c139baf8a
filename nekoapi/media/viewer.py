"""What one session watches: its peer, its video id and what it disabled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ladder import Ladder
from .peer import Peer


class StreamNotFound(ValueError):
    """A selector names no rung (Neko logs "webrtc stream not found")."""


@dataclass
class Viewer:
    peer: Peer
    video_id: str
    video_disabled: bool = False
    audio_disabled: bool = False
    auto: bool = False
    paused: bool = False
    remote: list[Any] = field(default_factory=list)  # tasks playing the client's tracks

    def video_state(self) -> dict[str, Any]:
        disabled = self.video_disabled
        return {"disabled": disabled, "id": self.video_id, "video": self.video_id, "auto": self.auto}

    def audio_state(self) -> dict[str, Any]:
        return {"disabled": self.audio_disabled}


def select(ladder: Ladder, current: str | None, selector: Any) -> str:
    """The rung a ``{type, id, bitrate}`` selector picks (by id, else by bitrate in bytes/s)."""
    ids = ladder.ids
    if not isinstance(selector, dict):
        return current or ids[0]
    kind, rung_id = selector.get("type") or "exact", selector.get("id") or ""
    if rung_id:
        return _by_id(ids, kind, rung_id)
    bitrate = selector.get("bitrate")
    if not isinstance(bitrate, int) or bitrate <= 0:
        return current or ids[0]
    return _by_bitrate(ladder, kind, bitrate)


def _by_id(ids: list[str], kind: str, rung_id: str) -> str:
    if rung_id not in ids:
        raise StreamNotFound(rung_id)
    index = ids.index(rung_id)
    target = {"exact": index, "nearest": index, "lower": index + 1, "higher": index - 1}.get(kind)
    if target is None or not 0 <= target < len(ids):
        raise StreamNotFound(f"{kind} of {rung_id}")
    return ids[target]


def _by_bitrate(ladder: Ladder, kind: str, bitrate: int) -> str:
    rates = [(r.bitrate * 1000 // 8, r.id) for r in ladder.rungs]  # bytes/s, as Neko compares them
    pick: list[tuple[int, str]] = {
        "exact": [x for x in rates if x[0] == bitrate],
        "lower": sorted((x for x in rates if x[0] <= bitrate), reverse=True),
        "higher": sorted(x for x in rates if x[0] >= bitrate),
        "nearest": sorted(rates, key=lambda x: abs(x[0] - bitrate)),
    }.get(kind, [])
    if not pick:
        raise StreamNotFound(f"{kind} {bitrate} B/s")
    return pick[0][1]
