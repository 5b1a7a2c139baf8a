"""The crowd bench's rows: each viewer's rate judged, the per-viewer cost, a saturated load core named."""

from __future__ import annotations

import pytest

from bench.media_crowd import Crowded, rows, shares


def run(viewers: int, cores: float, rss: float, fps: list[float], load_core_busy: float = 0.5) -> Crowded:
    return Crowded(viewers, cores, rss, 150.0, fps, 0.5, load_core_busy, 10.0, 25.0, 1.1, 140.0, 120.0)


def test_the_per_viewer_cost_is_the_growth_from_the_small_crowd_to_the_large() -> None:
    lines = rows([run(25, 0.15, 175.0, [25.0] * 25), run(100, 0.45, 250.0, [24.5] * 100)])
    assert "| 100 | 0.45 | 24.5 / 24.5 | 100 of 100 |" in "\n".join(lines)
    assert "from 25 to 100 viewers: server 4.0 millicores and 1.00 MiB RSS" in "\n".join(lines)
    assert lines[-1] == "- Every one of 100 viewers >= 24 fps: met."


@pytest.mark.parametrize("busy", [0.5, 0.99])
def test_one_slow_viewer_fails_the_target_and_a_saturated_load_core_is_named(busy: float) -> None:
    lines = rows([run(25, 0.15, 175.0, [25.0] * 25), run(100, 0.45, 250.0, [24.5] * 99 + [3.0], busy)])
    assert "99 of 100" in "\n".join(lines)
    assert lines[-1].startswith("- Every one of 100 viewers >= 24 fps: not met")
    assert ("the load core was saturated" in lines[-1]) == (busy > 0.95)


def test_the_crowd_is_shared_out_evenly_and_never_into_empty_processes() -> None:
    assert shares(100, 4) == [25, 25, 25, 25]
    assert shares(10, 4) == [3, 3, 2, 2]
    assert shares(2, 4) == [1, 1]
