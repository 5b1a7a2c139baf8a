"""The screen as the video stages see it: XShm grabs, and X damage telling when to grab."""

from __future__ import annotations

import threading
import time

import pytest

from nekoapi.media.xcapture import CaptureError, ScreenCapture
from tests.support.patience import REPLY

from .desktop import Painter


def test_a_grab_shows_the_screen_and_clears_the_damage(media_display: str, painter: Painter) -> None:
    painter.fill((10, 160, 240))
    capture = ScreenCapture(media_display)
    try:
        assert capture.paced_by_damage and capture.damaged  # the first frame is always grabbed
        screen = capture.grab()
        assert screen.shape == (720, 1280, 4)
        assert tuple(int(c) for c in screen[360, 640, :3]) == (240, 160, 10)  # BGRX
        assert not capture.damaged
    finally:
        capture.close()


def test_wait_returns_when_the_screen_changes_and_not_before(media_display: str, painter: Painter) -> None:
    capture = ScreenCapture(media_display)
    try:
        _until_quiet(capture)
        started = time.monotonic()
        capture.wait(0.3)
        assert not capture.damaged and time.monotonic() - started >= 0.25  # nothing changed: the whole wait
        paint = threading.Timer(0.1, painter.fill, args=((200, 10, 10),))
        paint.start()
        started = time.monotonic()
        capture.wait(REPLY)
        paint.join()
        assert capture.damaged and time.monotonic() - started < 5
        assert tuple(int(c) for c in capture.grab()[10, 10, :3]) == (10, 10, 200)
    finally:
        capture.close()


def _until_quiet(capture: ScreenCapture) -> None:
    """Grabs until no damage is pending (windows of earlier tests leave some)."""
    for _ in range(20):
        capture.grab()
        capture.wait(0.2)
        if not capture.damaged:
            return
    raise AssertionError("the screen kept changing")


def test_wake_ends_a_wait_at_once(media_display: str) -> None:
    capture = ScreenCapture(media_display)
    try:
        capture.grab()
        _until_quiet(capture)
        wake = threading.Timer(0.1, capture.wake)
        wake.start()
        started = time.monotonic()
        capture.wait(REPLY)
        wake.join()
        assert time.monotonic() - started < 5
    finally:
        capture.close()
    capture.wake()  # after close: nothing happens (no write into a closed pipe)


def test_a_wake_ends_one_sleep_and_not_the_ones_after_it(media_display: str) -> None:
    # The frame loop sleeps until its next frame while the screen keeps changing: a keyframe asked for
    # (a wake) cuts one sleep short, and the loop must not then spin through every sleep after it.
    capture = ScreenCapture(media_display)
    try:
        capture.wake()
        started = time.monotonic()
        capture.sleep_until(started + REPLY)
        assert time.monotonic() - started < 5
        started = time.monotonic()
        capture.sleep_until(started + 0.2)
        assert time.monotonic() - started >= 0.15
    finally:
        capture.close()


def test_without_damage_every_frame_interval_is_a_change(media_display: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ScreenCapture, "_watch_damage", lambda self: None)
    capture = ScreenCapture(media_display)
    try:
        assert not capture.paced_by_damage
        capture.grab()
        assert capture.damaged  # grabbed again at the rung's next frame
    finally:
        capture.close()


def test_a_display_that_is_not_there_is_a_capture_error() -> None:
    with pytest.raises(CaptureError, match="cannot open display"):
        ScreenCapture(":4093")
