"""The media suites' server: a live nekoapi whose desktop is the test display (no app), and PulseAudio."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from nekoapi.media.pulse import PulseServer
from tests.support.factory import make_config
from tests.support.live import LiveServer, live_server

LADDER = {"main": {"fps": 25, "bitrate": 2000}, "low": {"width": 640, "height": 360, "fps": 10, "bitrate": 400}}

# Rungs that cannot bend (their bitrate is fixed): a link that drops below 'main' has to move its ``auto`` viewer.
RIGID_LADDER = {
    "main": {"width": 640, "height": 360, "fps": 25, "bitrate": 2000, "min_bitrate": 2000, "max_bitrate": 2000},
    "low": {"width": 320, "height": 180, "fps": 25, "bitrate": 600, "min_bitrate": 600, "max_bitrate": 600},
}


@contextlib.contextmanager
def media_server(
    display: str, pulse: PulseServer, *, host: str = "127.0.0.1", port: int = 0, **env: Any
) -> Iterator[LiveServer]:
    defaults = {
        "NEKO_DESKTOP_ENABLED": "true",
        "NEKO_DESKTOP_DISPLAY": display,
        "NEKO_DESKTOP_APP": "",
        "NEKO_CAPTURE_VIDEO_IDS": "main,low",
        "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(LADDER),
        "NEKO_CAPTURE_PULSE_SERVER": pulse.server,
    }
    config = make_config(**(defaults | env))
    with live_server(config, host=host, port=port) as server:
        yield server
