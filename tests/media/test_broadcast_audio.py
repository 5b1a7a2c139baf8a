"""The broadcast's sound: a PulseAudio monitor read with parec, sent as AAC; without PulseAudio, video only."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import pytest

from nekoapi.desktop.xserver import XServer
from nekoapi.media.pulse_monitor import PulseMonitor
from tests.support.client import ApiClient, Login, api_client
from tests.support.display import attach_display
from tests.support.factory import make_config
from tests.support.pulse_sink import PulseServer, playing_tone, running_pulseaudio
from tests.support.rtmp_receiver import RtmpReceiver

pytestmark = pytest.mark.desktop

START, STOP = "/api/room/broadcast/start", "/api/room/broadcast/stop"
TONE = 440


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    with running_pulseaudio(tmp_path_factory.mktemp("pulse")) as server:
        yield server


async def client_with_audio(x_server: XServer, monitor: PulseMonitor) -> AsyncIterator[tuple[ApiClient, Login]]:
    async with api_client(make_config(NEKO_CAPTURE_BROADCAST_FPS="10"), {"audio_source": monitor}) as client:
        attach_display(client.app.services, x_server.display)
        yield client, await client.login_admin()


async def broadcast_for(client: ApiClient, admin: Login, receiver: RtmpReceiver, seconds: float) -> None:
    assert (await client.post(START, json={"url": receiver.url}, headers=admin.bearer)).status_code == 204
    await asyncio.sleep(seconds)
    assert (await client.post(STOP, headers=admin.bearer)).status_code == 204
    assert await asyncio.to_thread(receiver.finished) == 0


def received_sound(path: Path) -> tuple[float, float]:
    """The received left channel's loudness (RMS, 0..1) and pitch (from zero crossings), after 0.5 s."""
    samples: list[float] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            samples.extend(float(x) for x in frame.to_ndarray()[0])
    tail = samples[len(samples) // 4 :]
    rms = (sum(x * x for x in tail) / len(tail)) ** 0.5
    crossings = sum(1 for a, b in itertools.pairwise(tail) if (a < 0) != (b < 0))
    return rms, crossings / 2 / (len(tail) / 48000)


async def test_the_desktops_sound_goes_out_as_aac(x_server: XServer, pulse: PulseServer, tmp_path: Path) -> None:
    receiver = RtmpReceiver(tmp_path)
    with playing_tone(pulse, tmp_path, TONE):
        async for client, admin in client_with_audio(x_server, PulseMonitor(pulse.monitor, pulse.server)):
            await broadcast_for(client, admin, receiver, 2.0)
    assert receiver.audio_streams() == ["aac"]
    assert receiver.frames()  # and the video, alongside
    loudness, pitch = received_sound(receiver.path)
    assert loudness > 0.05
    assert abs(pitch - TONE) < TONE * 0.1, pitch


async def test_the_sound_comes_from_the_pulseaudio_nekoapi_started(x_server: XServer, tmp_path: Path) -> None:
    """Services' own broadcast (no monitor swapped in) reads the audio server the app plays into."""
    receiver = RtmpReceiver(tmp_path)
    async with api_client(make_config(NEKO_CAPTURE_BROADCAST_FPS="10")) as client:
        services = client.app.services
        attach_display(services, x_server.display)
        own = await asyncio.to_thread(services.audio_server.server)  # as the desktop's start does
        assert own is not None and own == services.audio_server.own_server
        with playing_tone(PulseServer(own, "audio_output"), tmp_path, TONE):
            await broadcast_for(client, await client.login_admin(), receiver, 2.0)
    assert receiver.audio_streams() == ["aac"]
    loudness, pitch = received_sound(receiver.path)
    assert loudness > 0.05
    assert abs(pitch - TONE) < TONE * 0.1, pitch


async def test_without_pulseaudio_the_broadcast_is_video_only(x_server: XServer, tmp_path: Path) -> None:
    nobody = PulseMonitor("nekotest.monitor", f"unix:{tmp_path / 'no-such-socket'}")
    receiver = RtmpReceiver(tmp_path)
    async for client, admin in client_with_audio(x_server, nobody):
        await broadcast_for(client, admin, receiver, 1.0)
    assert receiver.audio_streams() == []
    assert receiver.frames()
