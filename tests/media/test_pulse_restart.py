"""nekoapi's own PulseAudio, killed: /health says so, it comes back with its sinks, the app plays into
the new one and a viewer that kept its peer hears the app again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest

from nekoapi.desktop.xserver import XServer
from nekoapi.media.pulse import PulseServer
from tests.support.factory import make_config
from tests.support.live import live_server
from tests.support.patience import REPLY

from .client import Viewer
from .test_webrtc_audio import RATE, peak_frequency, sound_of

pytestmark = [
    pytest.mark.desktop,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Chromium is not installed"),
]
TONE = 440  # an OscillatorNode's default frequency
PAGE = f"""<!doctype html><title>tone</title><script>
const context = new AudioContext(), tone = context.createOscillator(), gain = context.createGain();
tone.frequency.value = {TONE}; gain.gain.value = 0.4;
tone.connect(gain).connect(context.destination); tone.start();
</script>"""


def pactl(server: str, *args: str) -> str:
    done = subprocess.run(["pactl", f"--server={server}", *args], capture_output=True, text=True, timeout=10)
    return done.stdout if done.returncode == 0 else ""


async def eventually(check: Callable[[], object], what: str, timeout: float = 45.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.2)


def pulseaudio_pid(socket: Path) -> int | None:
    """The live PulseAudio serving ``socket``, found by its command line."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            argv[0].endswith(b"pulseaudio")
            and f"socket={socket}".encode() in b" ".join(argv)
            and not zombie(int(entry.name))
        ):
            return int(entry.name)
    return None


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False  # reaped


async def hears_the_tone(viewer: Viewer) -> bool:
    """Fresh sound (what was queued before is dropped) carrying the app's tone."""
    queue = viewer.tracks["audio"]._queue  # type: ignore[attr-defined]
    while not queue.empty():
        queue.get_nowait()
    frames = [await viewer.frame("audio", timeout=REPLY) for _ in range(25)]  # half a second
    sound = sound_of(frames)
    return bool(np.abs(sound).max() > 1000 and abs(peak_frequency(sound, RATE) - TONE) < 15)


async def test_a_killed_pulseaudio_is_reported_restarted_and_heard_again(
    x_server: XServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert x_server.display is not None
    page = tmp_path / "tone.html"
    page.write_text(PAGE)
    app = f"/usr/bin/chromium --autoplay-policy=no-user-gesture-required file://{page}"
    config = make_config(
        NEKO_DESKTOP_ENABLED="true",
        NEKO_DESKTOP_DISPLAY=x_server.display,
        NEKO_DESKTOP_APP=app,
        NEKO_DESKTOP_PROFILE=str(tmp_path / "profile"),
    )
    # The restart waits until the test has seen the server down (else it may be back before /health is asked).
    down_seen = threading.Event()
    restart = getattr(PulseServer, "restart", None)

    def held_restart(self: PulseServer) -> None:
        down_seen.wait(30)
        assert restart is not None
        restart(self)

    monkeypatch.setattr(PulseServer, "restart", held_restart, raising=False)
    with live_server(config) as server:
        services = server.app.services
        own = services.audio_server._own
        assert own is not None
        await eventually(lambda: pactl(own.server, "list", "short", "sink-inputs"), "Chromium plays")
        viewer = Viewer(server.http_url, server.ws_url())
        try:
            await viewer.login("alice", "user-secret")
            await viewer.watch()
            assert await hears_the_tone(viewer)
            async with httpx.AsyncClient(base_url=server.http_url) as http:
                assert (await http.get("/health")).json() is True
                killed, app_before = pulseaudio_pid(own.socket), services.desktop.app.process
                assert killed is not None
                os.kill(killed, signal.SIGKILL)
                deadline = time.monotonic() + REPLY
                while (health := await http.get("/health")).status_code == 200:
                    assert time.monotonic() < deadline, "/health kept answering true"
                    await asyncio.sleep(0.1)
                assert (health.status_code, health.json()) == (
                    503,
                    {"message": "desktop audio is not available: PulseAudio is not running", "code": 503},
                )
                await eventually(lambda: not zombie(killed), "the dead PulseAudio is reaped", timeout=REPLY)
                down_seen.set()
                await eventually(lambda: httpx.get(f"{server.http_url}/health").status_code == 200, "/health is 200")
            assert pulseaudio_pid(own.socket) not in (None, killed)
            assert own.server == services.audio_server.address()  # the same socket: PULSE_SERVER holds
            sinks = pactl(own.server, "list", "short", "sinks")
            assert "audio_output" in sinks and "audio_input" in sinks
            assert "microphone" in pactl(own.server, "list", "short", "sources")
            assert "Default Sink: audio_output" in pactl(own.server, "info")
            # The app was restarted to reach the new server, and the viewer hears it on its old peer.
            await eventually(lambda: services.desktop.app.process not in (None, app_before), "the app restarts")
            await eventually(lambda: pactl(own.server, "list", "short", "sink-inputs"), "Chromium plays again")
            assert await hears_the_tone(viewer)
        finally:
            await viewer.close()
