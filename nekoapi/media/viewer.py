"""What one session watches: its peer, its video id and what it disabled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Ladder
from ..ws.messages import EventFailed
from ..ws.payloads import StreamSelector
from .peer import Peer


class StreamNotFound(EventFailed):
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


def select(ladder: Ladder, current: str | None, selector: StreamSelector | None, hidden: tuple[str, ...] = ()) -> str:
    """The rung a ``{type, id, bitrate}`` selector picks (by id, else by bitrate in bytes/s). ``hidden``
    ids are picked only by their exact name: they have no place among the rungs (Neko's ``legacy``)."""
    ids = ladder.ids
    if selector is None:
        return current or ids[0]
    kind = selector.type or "exact"
    if selector.id in hidden and kind in ("exact", "nearest"):
        return selector.id
    if selector.id:
        return _by_id(ids, kind, selector.id)
    if selector.bitrate <= 0:
        return current or ids[0]
    return _by_bitrate(ladder, kind, selector.bitrate)


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
