"""What the encoders promise: a bitrate step without a keyframe or a new encoder, a constant rate for
H264, and a fixed speed (the same pictures give the same bytes, however loaded the machine is)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nekoapi.media import encoders
from nekoapi.media.encoders import LibvpxEncoder, PyAVEncoder, open_encoder
from nekoapi.media.vpx import Tuning
from nekoapi.media.yuv import I420

WIDTH, HEIGHT, FPS = 640, 360, 25


def _pictures(count: int, noise: int = 6, seed: int = 3) -> list[I420]:
    """A grey field whose middle flickers a little: every frame costs bits, more bits buy quality."""
    rng = np.random.default_rng(seed)
    out = []
    for index in range(count):
        picture = I420(WIDTH, HEIGHT)
        y, u, v = picture.planes
        luma = np.full((HEIGHT, WIDTH), 90, np.int16)
        luma[60:300, 100:540] += rng.integers(-noise, noise + 1, (240, 440)) + (index * 3) % 40
        y[:] = luma.clip(0, 255).astype(np.uint8).reshape(-1)
        u[:], v[:] = 120, 136
        out.append(picture)
    return out


@pytest.mark.parametrize("codec", ["vp8", "vp9"])
def test_a_2x_bitrate_step_retunes_the_running_encoder_without_a_keyframe(codec: str) -> None:
    # A quantizer range wide enough for the rate control to bind at both rates.
    encoder = open_encoder(codec, WIDTH, HEIGHT, FPS, 150_000, Tuning(max_quantizer=56))
    assert isinstance(encoder, LibvpxEncoder)
    sizes, keys = [], []
    for index, picture in enumerate(_pictures(80)):
        if index == 40:
            encoder.set_bitrate(300_000)
        for packet in encoder.encode(picture, index * 3600, key=index == 0):
            sizes.append(len(packet.data))
            keys.append(packet.is_keyframe)
    encoder.close()
    assert keys[0] and not any(keys[1:]), "a keyframe after the first"
    assert encoder.reopens == 0 and encoder.bitrate == 300_000
    before, after = sum(sizes[20:40]), sum(sizes[60:80])
    assert after > before * 1.3, (before, after)  # the running encoder spends the new budget


def test_an_encoder_pyav_drives_reopens_only_for_a_step_above_ten_percent_and_not_too_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoder = PyAVEncoder("h264", WIDTH, HEIGHT, FPS, 500_000)
    encoder.set_bitrate(1_000_000)
    assert encoder.reopens == 0 and encoder.bitrate == 500_000  # just opened: not yet
    monkeypatch.setattr(encoders, "REOPEN_INTERVAL", 0.0)
    encoder.set_bitrate(530_000)
    assert encoder.reopens == 0 and encoder.bitrate == 500_000
    encoder.set_bitrate(1_000_000)
    assert encoder.reopens == 1 and encoder.bitrate == 1_000_000


def test_h264_holds_a_constant_bitrate_through_a_burst_of_detail() -> None:
    """x264 ignores bufsize without maxrate: with both, no half second goes far above the target."""
    rng = np.random.default_rng(0)
    encoder = PyAVEncoder("h264", WIDTH, HEIGHT, FPS, 500_000)
    sizes = []
    for index in range(100):
        picture = I420(WIDTH, HEIGHT)
        y, u, v = picture.planes
        calm = (index // 25) % 2 == 0
        y[:] = 100 if calm else rng.integers(0, 255, WIDTH * HEIGHT).astype(np.uint8)
        u[:], v[:] = 128, 128
        sizes += [packet.size for packet in encoder.encode(picture, index * 3600, index == 0)]
    windows = [sum(sizes[i : i + FPS // 2]) * 8 * 2 for i in range(len(sizes) - FPS // 2)]
    assert max(windows) <= 2 * 500_000, max(windows)


def _bytes_of(pictures: list[I420], loaded: bool) -> list[bytes]:
    stop = threading.Event()
    hogs = [threading.Thread(target=_spin, args=(stop,), daemon=True) for _ in range(3 if loaded else 0)]
    for hog in hogs:
        hog.start()
    try:
        encoder = open_encoder("vp8", WIDTH, HEIGHT, FPS, 300_000)
        out = [p.data for i, pic in enumerate(pictures) for p in encoder.encode(pic, i * 3600, i == 0)]
        encoder.close()
        return out
    finally:
        stop.set()


def _spin(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(10000))


def test_vp8_runs_at_a_fixed_speed_so_load_does_not_change_the_picture() -> None:
    pictures = _pictures(25, noise=30)
    assert _bytes_of(pictures, loaded=True) == _bytes_of(pictures, loaded=False)
