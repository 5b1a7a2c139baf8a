"""Recordings: the viewers' packets muxed into WebM, played back with ffprobe and PyAV."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from nekoapi.desktop.xserver import XServer
from nekoapi.media.tracks import PacketTrack
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


@contextlib.asynccontextmanager
async def sound_heard(client: ApiClient) -> AsyncIterator[None]:
    """A viewer listens to the room's sound until it comes (parec may take a while to start on a busy machine)."""
    listener = PacketTrack("audio", "audio")
    listener.attach(client.app.services.media.stages.audio())
    try:
        await asyncio.wait_for(listener.recv(), 10.0)
        yield
    finally:
        listener.stop()


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
            async with sound_heard(client):
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
    with av.open(str(path)) as container:
        assert next(container.demux(video=0)).is_keyframe  # the file starts with a picture that stands alone


async def record_for(client: ApiClient, admin: Login, seconds: float) -> str:
    assert (await client.post(START, headers=admin.bearer)).status_code == 200
    await asyncio.sleep(seconds)
    stopped = await client.post(STOP, headers=admin.bearer)
    assert stopped.status_code == 200
    return str(stopped.json()["name"])


async def test_recordings_download_in_ranges_delete_and_refuse_what_they_should(
    room: tuple[ApiClient, Login], tmp_path: Path
) -> None:
    client, admin = room
    user = await client.login_user()
    assert (await client.post(STOP, headers=admin.bearer)).status_code == 409  # nothing to stop
    name = await record_for(client, admin, 1.0)
    whole = (tmp_path / "recordings" / name).read_bytes()
    url = f"{FILES}/{name}"

    full = await client.get(url, headers=admin.bearer)
    assert full.status_code == 200 and full.content == whole
    assert full.headers["content-type"] == "video/webm"
    part = await client.get(url, headers={**admin.bearer, "Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == whole[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole)}"
    past = await client.get(url, headers={**admin.bearer, "Range": f"bytes={len(whole) + 5}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(whole)}"

    for wrong in ("..%2F..%2Fetc%2Fpasswd", "room-1.webm", ".hidden.webm", "room-20261207-235900.webm.txt"):
        assert (await client.get(f"{FILES}/{wrong}", headers=admin.bearer)).status_code in (400, 404), wrong
    assert (await client.get(f"{FILES}/room-20000101-000000.webm", headers=admin.bearer)).status_code == 404
    (tmp_path / "recordings" / "room-20000101-000001.webm").symlink_to("/etc/passwd")
    assert (await client.get(f"{FILES}/room-20000101-000001.webm", headers=admin.bearer)).status_code == 404

    for method, path in (("POST", START), ("POST", STOP), ("GET", FILES), ("GET", url), ("DELETE", url)):
        assert (await client.request(method, path, headers=user.bearer)).status_code == 403, path
    assert (await client.get(STATUS, headers=user.bearer)).json()["recording"] is False  # everyone may look

    assert (await client.delete(url, headers=admin.bearer)).status_code == 204
    assert (await client.get(url, headers=admin.bearer)).status_code == 404
    assert (await client.delete(url, headers=admin.bearer)).status_code == 404
    assert [f["name"] for f in (await client.get(FILES, headers=admin.bearer)).json()] == []


async def test_a_recording_adds_no_encoder_outlives_a_viewer_and_a_screen_change(
    room: tuple[ApiClient, Login], x_server: XServer, tmp_path: Path
) -> None:
    client, admin = room
    assert x_server.display is not None
    stages = client.app.services.media.stages
    viewer = PacketTrack("video", "video")  # what a viewer's peer sends from
    viewer.attach(stages.video("main"))
    painter = Painter(x_server.display)
    animation = asyncio.create_task(animate(painter))
    try:
        await asyncio.sleep(0.5)
        stage = stages.videos["main"]
        before = (list(stages.videos.values()), stage.encoder, stage.listeners)
        assert (await client.post(START, headers=admin.bearer)).status_code == 200
        await asyncio.sleep(0.5)
        assert (
            list(stages.videos.values()) == before[0] and stage.encoder is before[1]
        )  # the same stage, the same encoder
        assert stage.listeners == before[2] + 1  # one more listener, nothing else
        late = EventsPeer()  # a member who connects now is told the room is being recorded
        sessions = client.app.services.sessions
        assert sessions.connect(sessions.get((await client.login_user()).id), late)
        assert [p["recording"] for e, p in late.received if e == "recording/status"] == [True]  # type: ignore[index]

        viewer.stop()  # the viewer leaves: the recording keeps the stage running
        written = (await client.get(STATUS, headers=admin.bearer)).json()["bytes"]
        await asyncio.sleep(1.5)
        assert stage.running and (await client.get(STATUS, headers=admin.bearer)).json()["bytes"] > written

        changed = await client.post(SCREEN, json={"width": 800, "height": 600, "rate": 30}, headers=admin.bearer)
        assert changed.status_code == 200
        painter.cover_screen()
        await asyncio.sleep(1.5)
        stopped = await client.post(STOP, headers=admin.bearer)
    finally:
        animation.cancel()
        painter.close()
        viewer.stop()
        await client.post(SCREEN, json={"width": 1280, "height": 720, "rate": 30}, headers=admin.bearer)
    names = [f["name"] for f in (await client.get(FILES, headers=admin.bearer)).json()]
    assert len(names) == 2 and stopped.json()["name"] == names[1]
    sizes = [
        [(s["width"], s["height"]) for s in probe(tmp_path / "recordings" / n)["streams"] if s["codec_type"] == "video"]
        for n in names
    ]  # type: ignore[index, attr-defined]
    assert sizes == [[(1280, 720)], [(800, 600)]]
    assert not stage.running  # nobody listens any more: the stage stopped


async def animate(painter: Painter) -> None:
    shade = 0
    while True:
        shade = (shade + 37) % 200
        painter.fill((shade, 100, 200 - shade))
        await asyncio.sleep(0.1)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, nearly full already (as root; unmounted after the test)."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        (mount / "filler").write_bytes(bytes(256 * 1024 - 24 * 1024))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


async def test_a_full_disk_stops_the_recording_says_why_and_the_server_goes_on(
    x_server: XServer, pulse: PulseServer, small_disk: Path
) -> None:
    assert x_server.display is not None
    config = recording_config(x_server, pulse, small_disk)
    async with api_client(config) as client:  # type: ignore[arg-type]
        admin = await client.login_admin()
        sessions = client.app.services.sessions
        peer = EventsPeer()
        assert sessions.connect(sessions.get(admin.id), peer)
        painter = Painter(x_server.display)
        animation = asyncio.create_task(animate(painter))
        try:
            assert (await client.post(START, headers=admin.bearer)).status_code == 200
            status = await wait_until_stopped(client, admin)
        finally:
            animation.cancel()
            painter.close()
        assert status["error"] == "the disk is full"
        told = [payload for event, payload in peer.received if event == "recording/status"]
        assert [p["recording"] for p in told] == [True, False] and told[-1]["error"] == "the disk is full"  # type: ignore[index]
        assert (await client.get(FILES, headers=admin.bearer)).status_code == 200
        assert (await client.get("/api/whoami", headers=admin.bearer)).status_code == 200
        assert (await client.post(STOP, headers=admin.bearer)).status_code == 409


async def wait_until_stopped(client: ApiClient, admin: Login, timeout: float = 20.0) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        status: dict[str, object] = (await client.get(STATUS, headers=admin.bearer)).json()
        if not status["recording"]:
            return status
        await asyncio.sleep(0.2)
    raise AssertionError("the recording did not stop")


class EventsPeer:
    """A ``types.Peer`` that keeps the events sent to it one by one."""

    def __init__(self) -> None:
        self.received: list[tuple[str, object]] = []

    def send(self, event: str, payload: object) -> None:
        self.received.append((event, payload))

    def send_frame(self, frame: bytes | tuple[bytes, ...]) -> None:
        return None

    def destroy(self, reason: str) -> None:
        return None


async def test_h264_goes_into_mp4_with_the_sound(x_server: XServer, pulse: PulseServer, tmp_path: Path) -> None:
    config = recording_config(x_server, pulse, tmp_path, NEKO_CAPTURE_VIDEO_CODEC="h264")
    assert x_server.display is not None
    async with api_client(config) as client:  # type: ignore[arg-type]
        admin = await client.login_admin()
        painter = Painter(x_server.display)
        try:
            with playing_tone(pulse, tmp_path, 440):
                async with sound_heard(client):
                    name = await record_for(client, admin, 1.5)
        finally:
            painter.close()
    assert name.endswith(".mp4")
    probed = probe(tmp_path / name)
    assert sorted(str(s["codec_name"]) for s in probed["streams"]) == ["h264", "opus"]  # type: ignore[attr-defined]
    assert abs(float(probed["format"]["duration"]) - 1.5) <= 0.5  # type: ignore[index]


def _sound_file(directory: Path, name: str, source: str) -> Path:
    """Raw s16le stereo 48 kHz from an FFmpeg audio source (``sine=...``, ``anullsrc=...``)."""
    path = directory / f"{name}.raw"
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", source, "-ac", "2"]
    subprocess.run([*command, "-ar", "48000", "-f", "s16le", "-y", str(path)], check=True)
    return path


def _sound_onset(path: Path, after: float) -> float:
    """The time in the file of the first audio frame after ``after`` s that is loud (the tone's start)."""
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            if frame.time is not None and frame.time >= after and np.abs(frame.to_ndarray()).max() > 0.05:
                return float(frame.time)
    raise AssertionError("the tone is not in the recording")


def _picture_onset(path: Path, colour: Colour) -> float:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            picture = frame.to_ndarray(format="rgb24")
            pixel = picture[picture.shape[0] // 2, picture.shape[1] // 2]
            if frame.time is not None and close_to((int(pixel[0]), int(pixel[1]), int(pixel[2])), colour, 40):
                return float(frame.time)
    raise AssertionError(f"{colour} is not in the recording")


async def test_a_sound_and_a_picture_made_together_play_back_together(
    room: tuple[ApiClient, Login], x_server: XServer, pulse: PulseServer, tmp_path: Path
) -> None:
    """Lip sync: a tone starts at the moment the screen turns green; in the file they start together."""
    client, admin = room
    assert x_server.display is not None
    tone = _sound_file(tmp_path, "tone", "sine=frequency=880:duration=1.5")
    silence = _sound_file(tmp_path, "silence", "anullsrc=r=48000:cl=stereo:d=10")
    painter = Painter(x_server.display)
    player = ["pacat", f"--server={pulse.server}", f"--device={pulse.sink}", "--raw", "--format=s16le"]
    player += ["--rate=48000", "--channels=2", "--latency-msec=10"]
    awake = subprocess.Popen([*player, str(silence)])  # silence playing keeps the sink, and the sound, flowing
    try:
        painter.fill(SEQUENCE[0])
        async with sound_heard(client):
            assert (await client.post(START, headers=admin.bearer)).status_code == 200
            await asyncio.sleep(1.5)
            onset = subprocess.Popen([*player, str(tone)])
            painter.fill(SEQUENCE[1])
            await asyncio.sleep(2.0)
            stopped = await client.post(STOP, headers=admin.bearer)
            onset.wait(5)
    finally:
        awake.kill()
        awake.wait()
        painter.close()
    path = tmp_path / "recordings" / stopped.json()["name"]
    seen = await asyncio.to_thread(_picture_onset, path, SEQUENCE[1])
    heard = await asyncio.to_thread(_sound_onset, path, seen - 1.0)
    print(f"the picture at {seen:.3f} s, the sound at {heard:.3f} s: {1000 * (heard - seen):+.0f} ms")
    assert abs(heard - seen) <= 0.2  # a skew a viewer would notice is over about 0.1 s; the rest is the test's
