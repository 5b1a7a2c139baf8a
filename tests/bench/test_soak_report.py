"""The soak's section: the target is judged against the working size; growth and start-up are shown beside it."""

from __future__ import annotations

from bench.soak import QUICK, report


def test_the_target_is_against_the_warm_up_and_the_other_figures_are_shown() -> None:
    figures = {"start": 100.0, "warm": 150.0, "half": 152.0, "peak_after": 170.0, "after": 155.0, "seconds": 60.0}
    lines = report(QUICK, figures)
    header, row = lines[-3], lines[-1]
    assert "settled / warm-up (target)" in header and "second half / first half" in header
    assert "| 1.033 (within 1.10) |" in row  # 155 / 150: judged
    assert "| 1.020 |" in row  # 155 / 152: what the second half kept
    assert row.endswith("| 1.550 |")  # 155 / 100: the first use's loads included, shown only


def test_a_server_that_keeps_growing_is_over() -> None:
    figures = {"start": 100.0, "warm": 150.0, "half": 160.0, "peak_after": 190.0, "after": 180.0, "seconds": 60.0}
    assert "| 1.200 (over 1.10) |" in report(QUICK, figures)[-1]
