"""Automatic quality: each ``auto`` viewer moved between the ladder's rungs by what its link carries.

Neko's clients ask for it with ``signal/video``'s ``auto`` (Neko's own estimator, pion's congestion
controller, is off by default there and its keys are ``webrtc.estimator.*``; ours reads the same keys).
What a viewer's receiver reports is the estimate: the fraction of video packets lost in its receiver
reports, its REMB (the bitrate it expects to receive) when it falls below both the rung's bitrate and
its own peak since the last move (an estimate climbs slowly after a move up, so a low one alone says
nothing), and silence. A link that stays congested for ``unstable_duration`` moves the viewer one rung
down at once; one that stays clear for ``stable_duration`` lets it try one rung up. A receiver report's
loss is over the time since the report before it, so the congestion it shows counts from then (not
before the last move). An upgrade that meets congestion within twice ``stable_duration`` goes back at
once, without waiting ``unstable_duration``, and doubles the wait before the next try (up to 8x), so a
link that carries the lower rung only does not flap between the two. Reports from before a move are
ignored after it: they describe the old rung.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..config import EstimatorConfig, Ladder

log = logging.getLogger(__name__)
CONGESTED_LOSS = 0.10  # a report losing this much says the link carries less than is sent
CLEAR_LOSS = 0.02  # ... and one losing at most this much, that it carries it
MAX_BACKOFF_DOUBLINGS = 3


class Move(Enum):
    DOWN = "down"
    UP = "up"


@dataclass
class Report:
    """The newest of what a viewer's receiver said about the video: each field None until heard."""

    loss: float | None = None
    remb: int | None = None  # bit/s
    at: float | None = None  # when it was heard (monotonic s)
    loss_since: float | None = None  # when the interval ``loss`` covers began: the previous receiver report


class LinkEstimate:
    """One viewer's link, judged at each evaluation from its newest report."""

    def __init__(self, config: EstimatorConfig, now: float) -> None:
        self._config = config
        self._moved_at = now  # reports older than this describe another rung
        self._bad_since: float | None = None
        self._good_since: float | None = None
        self._last_up = self._last_down = float("-inf")
        self._failed_ups = 0
        self._remb_peak = 0  # the highest estimate heard since the last move

    def judge(self, report: Report, sending: int, now: float) -> Move | None:
        """``sending``: the viewer's rung's current bitrate (bit/s). Returns the move the link asks for;
        the caller makes it (or not, at the ladder's end) and tells ``moved``."""
        config = self._config
        fresh = report.at is not None and report.at > self._moved_at
        stalled = now - max(report.at or self._moved_at, self._moved_at) > config.stalled_duration
        if fresh and report.remb is not None:
            self._remb_peak = max(self._remb_peak, report.remb)
        # A receiver's estimate climbs slowly after a move up; only one that falls counts against the link.
        short = (
            fresh
            and report.remb is not None
            and report.remb < (1 - config.diff_threshold) * min(sending, self._remb_peak)
        )
        lossy = fresh and report.loss is not None and report.loss >= CONGESTED_LOSS
        clear = fresh and not short and (report.loss or 0.0) <= CLEAR_LOSS
        if self._failed_ups and self._last_down < self._last_up <= now - 2 * config.stable_duration:
            self._failed_ups = 0  # the last upgrade held
        if stalled or short or lossy:
            self._good_since = None
            if self._bad_since is None:
                began = report.loss_since if lossy and report.loss_since is not None else now
                self._bad_since = min(now, max(began, self._moved_at))  # before a move, it was another rung
        elif clear:
            self._bad_since = None
            self._good_since = self._good_since if self._good_since is not None else now
        bad_for = now - self._bad_since if self._bad_since is not None else -1.0
        good_for = now - self._good_since if self._good_since is not None else -1.0
        # A try up that meets congestion goes back at once: every moment more on it is a frozen picture.
        trying = self._last_down < self._last_up and now - self._last_up < 2 * config.stable_duration
        patience = 0.0 if trying else config.unstable_duration
        if bad_for >= patience and now - self._last_down >= config.downgrade_backoff:
            return Move.DOWN
        if good_for >= self._upgrade_wait() and now - self._last_up >= config.upgrade_backoff:
            return Move.UP
        return None

    def moved(self, move: Move, now: float) -> None:
        if move is Move.DOWN:
            if now - self._last_up < 2 * self._config.stable_duration:
                self._failed_ups = min(self._failed_ups + 1, MAX_BACKOFF_DOUBLINGS)
            self._last_down = now
        else:
            self._last_up = now
        self._moved_at = now
        self._bad_since = self._good_since = None
        self._remb_peak = 0

    def settled(self) -> None:
        """The viewer stays where it is although the link asked for a move (the ladder's end)."""
        self._bad_since = self._good_since = None

    def _upgrade_wait(self) -> float:
        return self._config.stable_duration * 2**self._failed_ups


def rungs_by_bitrate(ladder: Ladder, hidden: Sequence[str]) -> list[str]:
    """The ids ``auto`` moves between, from the richest to the leanest."""
    return [r.id for r in sorted(ladder.rungs, key=lambda r: -r.bitrate) if r.id not in hidden]


def step(order: Sequence[str], current: str, move: Move) -> str | None:
    """The next rung down or up from ``current``, or None at the ladder's end (or off it)."""
    if current not in order:
        return None
    index = order.index(current) + (1 if move is Move.DOWN else -1)
    return order[index] if 0 <= index < len(order) else None


class AutoQuality:
    """The ``auto`` viewers' links, judged together every ``read_interval``."""

    def __init__(self, config: EstimatorConfig) -> None:
        self.config = config
        self._links: dict[str, LinkEstimate] = {}  # session id -> its link, while it is ``auto``

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    def first_rung(self, ladder: Ladder, hidden: Sequence[str], default: str) -> str:
        """Where an ``auto`` viewer starts: the richest rung within ``initial_bitrate``, if set."""
        if not self.config.initial_bitrate:
            return default
        rates = {r.id: r.bitrate * 1000 for r in ladder.rungs}
        order = rungs_by_bitrate(ladder, hidden)
        within = [i for i in order if rates[i] <= self.config.initial_bitrate]
        return within[0] if within else order[-1]

    def moves(self, viewers: Mapping[str, Any], order: Sequence[str], now: float) -> Iterator[tuple[str, str]]:
        """(session id, new video id) for each ``auto`` viewer whose link asks for a move the ladder allows.
        ``viewers`` are media/viewer.py's: ``auto``, ``video_id`` and the peer's ``video_report``."""
        for gone in [k for k, v in self._links.items() if k not in viewers or not viewers[k].auto]:
            del self._links[gone]
        for session_id, viewer in viewers.items():
            stage = viewer.peer.video.stage
            if not viewer.auto or viewer.video_disabled or stage is None:
                continue
            link = self._links.setdefault(session_id, LinkEstimate(self.config, now))
            report = viewer.peer.video_report
            move = link.judge(report, stage.bitrate, now)
            if self.config.debug:
                log.info("auto %s on %s: %s, judged %s", session_id, viewer.video_id, report, move)
            target = None if move is None else step(order, viewer.video_id, move)
            if move is None:
                continue
            if target is None or self.config.passive:
                link.settled()
                continue
            link.moved(move, now)
            log.info("auto: %s moves %s, from %s to %s (%s)", session_id, move.value, viewer.video_id, target, report)
            yield session_id, target
