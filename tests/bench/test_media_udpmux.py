"""The udpmux bench's row: both figures and their ratio, the verdict both ways; runs comparing nothing refused."""

from __future__ import annotations

import pytest

from bench.media_udpmux import Watched, summary

SEPARATE = frozenset(range(50000, 50060))
MUX = frozenset({59000})


def test_the_row_shows_both_means_the_ratio_and_the_ratio_per_frame() -> None:
    separate = [Watched(0.40, 23.0, SEPARATE), Watched(0.44, 23.0, SEPARATE)]
    line = summary(separate, [Watched(0.44, 25.0, MUX), Watched(0.44, 25.0, MUX)], 59000)
    assert "0.440 cores on the mux beside 0.420 on separate ports, ratio 1.05" in line
    assert "within 10% of each other: met" in line
    assert "fps per viewer 25.0 beside 23.0, so per frame delivered 0.96" in line


@pytest.mark.parametrize("muxed", [0.50, 0.30])
def test_more_than_ten_percent_apart_either_way_is_not_met(muxed: float) -> None:
    line = summary([Watched(0.40, 25.0, SEPARATE)], [Watched(muxed, 25.0, MUX)], 59000)
    assert "within 10% of each other: not met" in line


def test_runs_whose_frame_rates_differ_by_more_than_the_target_are_not_judged() -> None:
    line = summary([Watched(0.40, 24.0, SEPARATE)], [Watched(0.40, 16.0, MUX)], 59000)
    assert "within 10% of each other: not judged, the frame rates differ" in line


def test_a_mux_run_offered_another_port_is_refused() -> None:
    with pytest.raises(RuntimeError, match="41234"):
        summary([Watched(0.40, 25.0, SEPARATE)], [Watched(0.40, 25.0, frozenset({59000, 41234}))], 59000)


def test_separate_runs_that_shared_ports_are_refused() -> None:
    with pytest.raises(RuntimeError, match="fewer ports"):
        summary([Watched(0.40, 25.0, MUX)], [Watched(0.40, 25.0, MUX)], 59000)
