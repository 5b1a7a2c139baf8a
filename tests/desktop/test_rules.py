"""The desktop's pure rules: CVT timings, Neko's screen parsing and rounding, configuration."""

from __future__ import annotations

import pytest

from nekoapi.config import ConfigError, load_config
from nekoapi.configkeys.desktop import parse_screen
from nekoapi.desktop.cvt import cvt
from nekoapi.desktop.manager import XKB_NAME
from nekoapi.desktop.screen import ScreenSize, normalize
from nekoapi.desktop.xserver import NEKO_MODES, xorg_config

pytestmark = pytest.mark.desktop


@pytest.mark.parametrize(
    ("size", "modeline"),
    [  # as printed by `cvt W H R` (libxcvt)
        ((1920, 1080, 60), "173.00 1920 2048 2248 2576 1080 1083 1088 1120"),
        ((1280, 720, 60), "74.50 1280 1344 1472 1664 720 723 728 748"),
        ((1024, 768, 60), "63.50 1024 1072 1176 1328 768 771 775 798"),
        ((800, 600, 60), "38.25 800 832 912 1024 600 603 607 624"),
    ],
)
def test_cvt_matches_libxcvt(size: tuple[int, int, int], modeline: str) -> None:
    line = cvt(*size).modeline("m")
    assert line == f'Modeline "m" {modeline} -hsync +vsync'


def test_cvt_rates_round_to_the_asked_rate() -> None:
    for mode in NEKO_MODES:
        assert round(cvt(mode.width, mode.height, mode.rate).refresh) == mode.rate


def test_the_generated_xorg_config_offers_every_mode_and_the_virtual_size() -> None:
    text = xorg_config(NEKO_MODES, (1920, 1080))
    assert text.count("Modeline") == len(NEKO_MODES)
    assert 'Driver "dummy"' in text and "Virtual 1920 1080" in text
    assert text.index('"1920x1080_60"') < text.index('"1280x720_30"')


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1920x1080@60", ScreenSize(1920, 1080, 60)),
        ("screen 800x600@30 please", ScreenSize(800, 600, 30)),  # Neko's regex is unanchored
        ("1920x1080", ScreenSize(1280, 720, 30)),  # no rate: no match, the default
        ("", ScreenSize(1280, 720, 30)),
    ],
)
def test_desktop_screen_is_parsed_as_neko_does(text: str, size: ScreenSize) -> None:
    assert parse_screen(text) == size


def test_a_switch_rounds_the_width_down_to_8_and_reads_rate_0_as_60() -> None:
    assert normalize(1003, 701, 0) == ScreenSize(1000, 701, 60)
    assert normalize(1280, 720, 30) == ScreenSize(1280, 720, 30)


@pytest.mark.parametrize("name", ["us", "de", "us,ru", "fr(oss)", "", "dvorak-intl"])
def test_xkb_names_are_accepted(name: str) -> None:
    assert XKB_NAME.fullmatch(name)


@pytest.mark.parametrize("name", ["-print", "us;rm -rf", "a b", "../x", "$(id)"])
def test_anything_else_never_reaches_setxkbmap(name: str) -> None:
    assert not XKB_NAME.fullmatch(name)


def test_an_empty_display_means_dollar_display() -> None:
    assert load_config({"DISPLAY": ":9"}).desktop.display == ":9"
    assert load_config({"DISPLAY": ":9", "NEKO_DESKTOP_DISPLAY": ":3"}).desktop.display == ":3"
    assert load_config({}).desktop.display == ""


def test_an_unknown_x_server_kind_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="NEKO_DESKTOP_XSERVER"):
        load_config({"NEKO_DESKTOP_XSERVER": "wayland"})


def test_several_workers_need_the_desktop_off() -> None:
    redis = {"NEKO_SESSION_STORE": "redis"}
    with pytest.raises(ConfigError, match=r"^--workers: 2 workers: .* set NEKO_DESKTOP_ENABLED=false"):
        load_config(redis, flags={"server.workers": "2"})
    with pytest.raises(ConfigError, match=r"^NEKO_SERVER_WORKERS: 3 workers: .* set NEKO_DESKTOP_ENABLED=false"):
        load_config({**redis, "NEKO_SERVER_WORKERS": "3"})
    assert load_config({**redis, "NEKO_DESKTOP_ENABLED": "false"}, flags={"server.workers": "2"}).server.workers == 2
