"""The X server nekoapi starts: Xorg-dummy with Neko's modes, or Xvfb at one size."""

from __future__ import annotations

import os
import subprocess

import pytest

from nekoapi.desktop.xserver import NEKO_MODES, XServer, XServerError, dummy_available

from ..support.xdisplay import running_x_server, screen_size

pytestmark = pytest.mark.desktop


def _xrandr(name: str) -> str:
    return subprocess.run(["xrandr", "-d", name, "--current"], capture_output=True, text=True, check=True).stdout


def test_the_session_server_accepts_clients_and_offers_neko_modes(x_server: XServer) -> None:
    assert x_server.alive() and x_server.display and x_server.display.startswith(":")
    listing = _xrandr(x_server.display)
    if x_server.kind == "xorg":
        for mode in NEKO_MODES:
            assert mode.name in listing


def test_stop_ends_the_process_and_frees_the_display() -> None:
    with running_x_server() as server:
        name, pid = server.display, server.pid
        assert name is not None and pid is not None
        screen_size(name)
    assert not server.alive() and server.display is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie: the display number is free again


def test_xvfb_fallback_runs_at_its_one_fixed_size() -> None:
    with running_x_server("xvfb") as server:
        assert server.kind == "xvfb"
        assert server.display is not None
        assert screen_size(server.display) == (1280, 720)


@pytest.mark.skipif(not dummy_available(), reason="the dummy video driver is not installed")
def test_xorg_starts_at_the_first_configured_mode() -> None:
    with running_x_server("xorg") as server:
        assert server.kind == "xorg" and server.display is not None
        assert screen_size(server.display) == (1920, 1080)


def test_a_server_that_cannot_start_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    server = XServer("xvfb")
    monkeypatch.setattr(server, "_xvfb_command", lambda: ["Xvfb", "-no-such-flag"])
    with pytest.raises(XServerError):
        server.start(timeout=5)
    assert not server.alive()


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError):
        XServer("wayland")
