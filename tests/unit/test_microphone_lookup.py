"""A viewer's microphone track: where to play it is looked up off the event loop.

The lookup may wait for our PulseAudio to start or restart (a lock held for seconds, a subprocess);
on the event loop, that would stall every socket of the server meanwhile.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from nekoapi.media.input import DataChannelInput
from nekoapi.models import USER_PROFILE
from nekoapi.sessions.session import Session
from tests.support.patience import REPLY


@dataclass
class Track:
    kind: str = "audio"


@dataclass
class Viewer:
    remote: list[asyncio.Future[Any]] = field(default_factory=list)


async def test_the_sound_server_is_looked_up_off_the_event_loop() -> None:
    asked_on: list[threading.Thread] = []

    def microphone_target() -> tuple[str, str] | None:
        asked_on.append(threading.current_thread())
        return None  # no sound server: nothing is played

    media_input = DataChannelInput(None, lambda: None, dict, microphone_target)  # type: ignore[arg-type]
    viewer = Viewer()
    media_input.remote_track(Session("s", b"", USER_PROFILE), viewer, Track())  # type: ignore[arg-type]
    await asyncio.wait_for(asyncio.gather(*viewer.remote), REPLY)
    assert asked_on and asked_on[0] is not threading.current_thread()


async def test_a_video_track_is_not_played_as_a_microphone() -> None:
    asked: list[bool] = []
    media_input = DataChannelInput(None, lambda: None, dict, lambda: asked.append(True))  # type: ignore[arg-type]
    viewer = Viewer()
    media_input.remote_track(Session("s", b"", USER_PROFILE), viewer, Track("video"))  # type: ignore[arg-type]
    assert viewer.remote == [] and asked == []
