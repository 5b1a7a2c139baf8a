"""The WebSocket fallback's bench rows: the CPU row's figures, ratio and verdict; the glass-to-glass verdict
against UDP's p50 from the same run."""

from __future__ import annotations

from bench.media_wsmedia import Watched, glass_verdict, summary


def test_the_cpu_row_shows_both_means_the_ratio_and_the_ratio_per_frame() -> None:
    webrtc = [Watched(0.20, 25.0), Watched(0.22, 25.0)]
    line = summary(webrtc, [Watched(0.16, 24.0), Watched(0.16, 24.0)])
    assert "server 0.160 cores beside 0.210 for 10 WebRTC viewers, ratio 0.76 (target <= 1x: met)" in line
    assert "fps per viewer 24.0 beside 25.0, so per frame delivered 0.79" in line


def test_more_cpu_than_webrtc_is_not_met() -> None:
    line = summary([Watched(0.20, 25.0)], [Watched(0.22, 25.0)])
    assert "ratio 1.10 (target <= 1x: not met)" in line


def test_runs_whose_frame_rates_differ_by_more_than_ten_percent_are_not_judged() -> None:
    line = summary([Watched(0.20, 25.0)], [Watched(0.10, 18.0)])  # cheaper, but fewer frames went out
    assert "target <= 1x: not judged, the frame rates differ" in line


def test_the_fallback_is_judged_on_screen_against_udp_plus_twenty_ms() -> None:
    udp = ([20.0, 21.0, 90.0], [45.0, 50.0, 120.0])
    assert ": met (70.0 ms beside 50.0 ms, +20.0 ms; decoded 30.0 beside 21.0 ms)" in glass_verdict(
        udp, ([29.0, 30.0, 31.0], [60.0, 70.0, 400.0]), "UDP"
    )
    assert "UDP's p50 + 20 ms (same run, same server): not met (70.5 ms" in glass_verdict(
        udp, ([29.0, 30.0, 31.0], [60.0, 70.5, 71.0]), "UDP"
    )
