"""The link-drop bench's figures: frames placed by their own timestamps, the recovery, the verdicts."""

from __future__ import annotations

from bench.media_adaptive import CLOCK, Counted, Run, recovery, report, timeline
from bench.media_clients import Received

FRAME = CLOCK // 25


def frames(seconds: float, *, start: float = 0.0, fps: int = 25, first: int = 0) -> list[Received]:
    """Frames grabbed (and arrived 10 ms later) every 1/fps s from ``start``, a keyframe every 2 s."""
    out = []
    for i in range(round(seconds * fps)):
        at = start + i / fps
        key = i % (2 * fps) == 0
        out.append(Received(at + 0.01, (first + round(at * CLOCK)) % 2**32, key, 640 if key else None, 9000, True))
    return out


def test_frames_are_placed_by_their_timestamps_across_a_wrap_and_a_late_arrival() -> None:
    near_wrap = 2**32 - 2 * FRAME
    got = frames(0.2, first=near_wrap)
    late = Received(got[2].arrived + 0.5, got[2].timestamp, False, None, 9000, True)  # queued half a second
    placed = timeline([got[0], got[1], late, *got[3:]])
    assert [round(due, 3) for due, _ in placed] == [0.01, 0.05, 0.09, 0.13, 0.17]


def test_the_recovery_is_the_first_second_at_the_rate_that_holds_for_the_sustained_span() -> None:
    dues = [due for due, _ in timeline([*frames(1.0), *frames(8.0, start=2.4)])]
    assert recovery(dues, 0.0, 10.0) == 2.2  # [2.2 s, 3.2 s) holds 20 frames: 20 fps
    # A dip within the span after the first good second puts it after the dip.
    dipped = [d for d in dues if not 4.0 <= d < 4.5]
    assert recovery(dipped, 0.0, 10.0) == 4.3
    assert recovery(dues[:10], 0.0, 10.0) is None


def run_of(gap: float, keyframes_shaped: int) -> Run:
    played = [*frames(10.0), *frames(20.0 - gap, start=10.0 + gap)]  # none for ``gap`` s after the drop
    moves = [(0.0, "main"), (10.0 + gap / 2, "low")]
    counted = (Counted(5, 0), Counted(keyframes_shaped, 0), Counted(2, 0))
    return Run(played, moves, 0.0, 10.0, 25.0, 30.0, counted)


def test_a_quick_recovery_is_met_and_a_slow_one_is_not() -> None:
    quick, slow = report(run_of(2.0, 8)), report(run_of(4.0, 8))
    assert any("within 3 s of the drop to 1 Mbit/s: met (1.8 s; the move down heard 1.0 s" in line for line in quick)
    assert any("within 3 s of the drop to 1 Mbit/s: not met (3.8 s; the move down heard 2.0 s" in line for line in slow)


def test_keyframes_over_twice_the_clear_links_rate_are_a_storm() -> None:
    calm, storm = report(run_of(2.0, 8)), report(run_of(2.0, 40))
    assert any("No keyframe storm" in line and ": met (30, 32, 24 per minute" in line for line in calm)
    assert any("No keyframe storm" in line and ": not met (30, 160, 24 per minute" in line for line in storm)
