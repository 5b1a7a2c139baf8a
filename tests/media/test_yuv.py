"""BGRX grabs to I420 pictures: BT.601 limited range, scaled to a rung, odd screens cropped, any stride."""

from __future__ import annotations

import numpy as np
import pytest

from nekoapi.media import yuv
from nekoapi.media.yuv import I420, Converter


def _bt601(r: int, g: int, b: int) -> tuple[int, int, int]:
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(u), round(v)


def _screen(width: int, height: int) -> np.ndarray:
    """Four quadrants: red, green, blue, white (BGRX)."""
    screen = np.zeros((height, width, 4), np.uint8)
    h, w = height // 2, width // 2
    screen[:h, :w, 2] = 255
    screen[:h, w:, 1] = 255
    screen[h:, :w, 0] = 255
    screen[h:, w:, :3] = 255
    return screen


def _quadrants(picture: I420) -> list[tuple[int, int, int]]:
    y, u, v = picture.planes
    y = y.reshape(picture.height, picture.width)
    u = u.reshape(picture.height // 2, picture.width // 2)
    v = v.reshape(picture.height // 2, picture.width // 2)
    out = []
    for row, col in ((0.25, 0.25), (0.25, 0.75), (0.75, 0.25), (0.75, 0.75)):
        r, c = int(row * picture.height), int(col * picture.width)
        out.append((int(y[r, c]), int(u[r // 2, c // 2]), int(v[r // 2, c // 2])))
    return out


EXPECTED = [_bt601(255, 0, 0), _bt601(0, 255, 0), _bt601(0, 0, 255), _bt601(255, 255, 255)]


@pytest.fixture(params=["libyuv", "swscale"])
def converter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Converter:
    if request.param == "swscale":
        monkeypatch.setattr(yuv, "_LIBYUV", None)
    elif yuv._LIBYUV is None:
        pytest.fail("libyuv0 is not installed (Makefile DESKTOP_PACKAGES installs it)")
    return Converter()


@pytest.mark.parametrize(
    ("screen", "rung"), [((1280, 720), (1280, 720)), ((1280, 720), (640, 360)), ((1281, 721), (1280, 720))]
)
def test_colours_land_in_bt601_limited_range(
    converter: Converter, screen: tuple[int, int], rung: tuple[int, int]
) -> None:
    picture = I420(*rung)
    converter.convert(_screen(*screen), picture)
    for seen, expected in zip(_quadrants(picture), EXPECTED, strict=True):
        assert max(abs(a - b) for a, b in zip(seen, expected, strict=True)) <= 2, (seen, expected)


def test_a_view_with_a_wider_stride_is_read_in_place(converter: Converter) -> None:
    wide = _screen(1300, 720)[:, :1280]  # rows 1300 pixels apart, as a larger shared segment would hold them
    picture = I420(1280, 720)
    converter.convert(wide, picture)
    assert _quadrants(picture)[0] == _quadrants(_converted(converter, _screen(1280, 720)))[0]


def _converted(converter: Converter, screen: np.ndarray) -> I420:
    picture = I420(screen.shape[1], screen.shape[0])
    converter.convert(screen, picture)
    return picture
