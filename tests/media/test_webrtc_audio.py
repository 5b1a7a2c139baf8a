"""The room's audio: a tone played through PulseAudio reaches a viewer; a viewer's microphone reaches the desktop
(with can_share_media); signal/audio turns a viewer's sound off and on."""

from __future__ import annotations

import asyncio
import fractions
import json
import subprocess
import threading
import time
from collections.abc import Iterator

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamTrack

from nekoapi.media.pulse import PulseServer
from tests.support.patience import REPLY

from .client import Viewer
from .server import media_server

RATE = 48000


def tone(frequency: float, seconds: float) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * frequency * t) * 12000).astype(np.int16)
    return np.repeat(mono, 2).tobytes()  # stereo, interleaved


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@pytest.fixture
def playing(pulse: PulseServer) -> Iterator[None]:
    """A 440 Hz tone played into the desktop's speakers (the sink the app plays into)."""
    process = subprocess.Popen(
        [
            "pacat",
            f"--server={pulse.server}",
            "--device=audio_output",
            "--format=s16le",
            f"--rate={RATE}",
            "--channels=2",
            "--raw",
        ],
        stdin=subprocess.PIPE,
    )
    stop = threading.Event()

    def feed() -> None:
        chunk = tone(440, 0.5)
        while not stop.is_set():
            try:
                process.stdin.write(chunk)  # type: ignore[union-attr]
                process.stdin.flush()  # type: ignore[union-attr]
            except (BrokenPipeError, ValueError):
                return

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    yield
    stop.set()
    process.kill()
    process.wait()


async def test_a_tone_played_on_the_desktop_arrives(viewer: Viewer, playing: None) -> None:
    await viewer.watch()
    collected: list[np.ndarray] = []
    deadline = time.monotonic() + REPLY
    while sum(len(c) for c in collected) < RATE:  # one second of sound
        frame = await viewer.frame("audio")
        samples = frame.to_ndarray().reshape(-1, len(frame.layout.channels))  # s16 packed: interleaved
        collected.append(samples[:, 0].astype(np.float64))
        assert time.monotonic() < deadline
    sound = np.concatenate(collected)[-RATE // 2 :]
    assert np.abs(sound).max() > 1000, "silence"
    assert abs(peak_frequency(sound, frame.sample_rate) - 440) < 10


def sound_of(frames: list[av.AudioFrame]) -> np.ndarray:
    return np.concatenate([f.to_ndarray().reshape(-1, len(f.layout.channels))[:, 0] for f in frames]).astype(np.float64)


async def test_signal_audio_disabled_stops_the_sound_and_enabling_brings_it_back(viewer: Viewer, playing: None) -> None:
    await viewer.watch()
    assert viewer.ws is not None
    await viewer.frame("audio")
    await viewer.ws.send("signal/audio", {"disabled": True})
    assert await viewer.ws.wait_for("signal/audio") == {"disabled": True}
    assert await viewer.falls_silent("audio"), "audio frames kept coming"
    await viewer.ws.send("signal/audio", {"disabled": False})
    assert await viewer.ws.wait_for("signal/audio") == {"disabled": False}
    frames = [await viewer.frame("audio") for _ in range(25)]  # half a second of 20 ms frames
    assert abs(peak_frequency(sound_of(frames), RATE) - 440) < 10


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self._samples = tone(frequency, 1.0)
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        offset = (self._pts * 4) % len(self._samples)
        data = (self._samples + self._samples)[offset : offset + 960 * 4]
        frame = av.AudioFrame.from_ndarray(np.frombuffer(data, np.int16).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self._pts, fractions.Fraction(1, RATE)
        self._pts += 960
        return frame


def record(pulse: PulseServer, source: str, seconds: float) -> np.ndarray:
    process = subprocess.Popen(
        [
            "parec",
            f"--server={pulse.server}",
            f"--device={source}",
            "--format=s16le",
            f"--rate={RATE}",
            "--channels=1",
            "--raw",
        ],
        stdout=subprocess.PIPE,
    )
    data = process.stdout.read(int(RATE * seconds) * 2)  # type: ignore[union-attr]
    process.kill()
    process.wait()
    return np.frombuffer(data, np.int16).astype(np.float64)


async def test_a_viewers_microphone_plays_into_the_desktops_microphone(viewer: Viewer, pulse: PulseServer) -> None:
    viewer.pc.addTrack(Tone(660))
    await viewer.watch()
    await asyncio.sleep(1.0)  # the track reaches the server, pacat starts
    sound = await asyncio.to_thread(record, pulse, "microphone", 1.0)
    assert np.abs(sound).max() > 1000, "the desktop's microphone is silent"
    assert abs(peak_frequency(sound, RATE) - 660) < 10


async def test_a_microphone_without_can_share_media_stays_off_the_desktop(
    media_display: str, pulse: PulseServer
) -> None:
    users = [{"username": "quiet", "password": "pw", "profile": {"can_share_media": False}}]
    env = {"NEKO_MEMBER_PROVIDER": "object", "NEKO_MEMBER_OBJECT_USERS": json.dumps(users)}
    with media_server(media_display, pulse, **env) as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            client.pc.addTrack(Tone(660))
            await client.login("quiet", "pw")
            await client.watch()
            await asyncio.sleep(1.0)  # as long as the allowed microphone above takes to be heard
            sound = await asyncio.to_thread(record, pulse, "microphone", 1.0)
            assert np.abs(sound).max() < 1000, "the desktop's microphone plays a member without can_share_media"
        finally:
            await client.close()


async def test_a_client_offer_is_answered(viewer: Viewer) -> None:
    await viewer.watch()
    assert viewer.ws is not None
    await viewer.pc.setLocalDescription(await viewer.pc.createOffer())
    await viewer.ws.send("signal/offer", {"sdp": viewer.pc.localDescription.sdp})
    answer = await viewer.ws.wait_for("signal/answer")
    assert answer["sdp"].startswith("v=0")
