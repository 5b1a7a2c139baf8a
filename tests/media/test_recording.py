"""Recordings: the viewers' packets muxed into WebM, played back with ffprobe and PyAV."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import pytest

from nekoapi.desktop.xserver import XServer
from tests.support.client import ApiClient, Login, api_client
from tests.support.factory import make_config
from tests.support.paint import Colour, Painter, close_to
from tests.support.pulse_sink import PulseServer, playing_tone, running_pulseaudio

pytestmark = pytest.mark.desktop

START, STOP, STATUS, FILES = (
    "/api/room/recording/start",
    "/api/room/recording/stop",
    "/api/room/recording",
    "/api/room/recordings",
)
SCREEN = "/api/room/screen"
SEQUENCE: list[Colour] = [(220, 30, 30), (30, 200, 40), (40, 40, 220)]
LADDER = {"main": {"fps": 15, "bitrate": 1000}}


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    with running_pulseaudio(tmp_path_factory.mktemp("pulse")) as server:
        yield server


def recording_config(x_server: XServer, pulse: PulseServer, directory: Path, **env: str) -> object:
    assert x_server.display is not None
    return make_config(
        NEKO_DESKTOP_ENABLED="true",
        NEKO_DESKTOP_DISPLAY=x_server.display,
        NEKO_DESKTOP_APP="",
        NEKO_CAPTURE_VIDEO_PIPELINES=json.dumps(LADDER),
        NEKO_CAPTURE_PULSE_SERVER=pulse.server,
        NEKO_CAPTURE_AUDIO_DEVICE=pulse.monitor,
        NEKO_CAPTURE_RECORDING_DIR=str(directory),
        **env,
    )


@pytest.fixture
async def room(x_server: XServer, pulse: PulseServer, tmp_path: Path) -> AsyncIterator[tuple[ApiClient, Login]]:
    async with api_client(recording_config(x_server, pulse, tmp_path / "recordings")) as client:  # type: ignore[arg-type]
        yield client, await client.login_admin()


def probe(path: Path) -> dict[str, object]:
    command = ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name,codec_type,width,height"]
    out = subprocess.run([*command, "-of", "json", str(path)], capture_output=True, check=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def colours_in_order(path: Path) -> list[Colour]:
    """The middle pixel of every decoded picture, runs of one colour counted once."""
    seen: list[Colour] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_ndarray(format="rgb24")
            pixel = picture[picture.shape[0] // 2, picture.shape[1] // 2]
            colour = (int(pixel[0]), int(pixel[1]), int(pixel[2]))
            match = next((c for c in SEQUENCE if close_to(colour, c, 40)), None)
            if match is not None and (not seen or seen[-1] != match):
                seen.append(match)
    return seen


async def test_a_colour_sequence_plays_back_in_order_with_sound_and_its_length(
    room: tuple[ApiClient, Login], x_server: XServer, pulse: PulseServer, tmp_path: Path
) -> None:
    client, admin = room
    assert x_server.display is not None
    painter = Painter(x_server.display)
    try:
        painter.fill(SEQUENCE[0])
        with playing_tone(pulse, tmp_path, 440):
            started = await client.post(START, headers=admin.bearer)
            assert started.status_code == 200 and started.json()["recording"] is True
            for colour in SEQUENCE:
                painter.fill(colour)
                await asyncio.sleep(1.0)
            stopped = await client.post(STOP, headers=admin.bearer)
    finally:
        painter.close()
    assert stopped.status_code == 200 and stopped.json()["recording"] is False
    listing = (await client.get(FILES, headers=admin.bearer)).json()
    assert [f["name"] for f in listing] == [stopped.json()["name"]]
    path = tmp_path / "recordings" / listing[0]["name"]
    probed = probe(path)
    kinds = sorted(str(s["codec_name"]) for s in probed["streams"])  # type: ignore[attr-defined]
    assert kinds == ["opus", "vp8"]
    assert abs(float(probed["format"]["duration"]) - 3.0) <= 0.5, probed  # type: ignore[index]
    assert colours_in_order(path) == SEQUENCE
