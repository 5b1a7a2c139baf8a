"""``capture.*``: the room's video ladder, audio, microphone, PulseAudio, RTMP broadcast and screencast
(Neko's ``internal/config/capture.go``; the pipelines are our schema, not GStreamer's)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from . import v2
from .declare import Invalid, Legacy, key, section
from .ladder import DEFAULT_ID, Ladder, Rung, default_rungs, pipelines
from .values import positive, within

Codec = Literal["vp8", "vp9", "av1", "h264"]
AudioCodec = Literal["opus", "g722", "pcmu", "pcma"]
RTMP_SCHEMES = ("rtmp://", "rtmps://")
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+)\s*)?")
X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]


def _ids_have_pipelines(config: Any) -> str | None:
    video = config.capture.video
    missing = [i for i in video.ids if i not in (video.pipelines or {DEFAULT_ID: None})]
    return f"{missing[0]!r} has no entry in capture.video.pipelines" if missing else None


def frame_rate(raw: Any) -> Fraction:
    """Frames per second as Neko writes them: ``10/1``, ``5/2`` or ``10``; above 0, at most 60."""
    rate = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        rate = Fraction(raw).limit_denominator(1000)
    elif isinstance(raw, str) and (match := _RATE.fullmatch(raw)) and match.group(2) != "0":
        rate = Fraction(match.group(1)) / int(match.group(2) or 1)
    if rate is None or not 0 < rate <= 60:
        raise Invalid("expected frames per second like 10/1 (above 0, at most 60)", got=raw)
    return rate


def _rtmp_url(value: str) -> str | None:
    return None if not value or value.startswith(RTMP_SCHEMES) else "expected an rtmp:// or rtmps:// URL"


@dataclass(frozen=True)
class VideoCaptureConfig:
    # Later v2 names win over earlier ones: Neko's NEKO_VP8 over NEKO_VP9 over ... over NEKO_VIDEO_CODEC.
    codec: Codec = key(
        "vp8",
        "video codec of every ladder id: `vp8`, `vp9`, `av1` or `h264`",
        legacy=(
            Legacy("video_codec"),
            *(
                Legacy(name, convert=v2.when_true(name), note=f"`true`: `{name}`")
                for name in ("av1", "h264", "vp9", "vp8")
            ),
        ),
    )
    ids: tuple[str, ...] = key(
        (),
        "the quality ladder, best first; empty means the keys of `capture.video.pipelines`",
        cross_check=_ids_have_pipelines,
    )
    pipelines: dict[str, Rung] = key(
        {},
        "id -> {width, height, fps, bitrate, ...}, a mapping or JSON (our schema, docs/room.md)",
        parse=pipelines,
        # Neko builds one pipeline of v2's bitrate and frame rate, unless v3 pipelines are set.
        legacy=(
            Legacy(
                "video_bitrate",
                convert=v2.main_rung("bitrate"),
                yields=True,
                note="kbit/s of the `main` id; 0: unset; v3 pipelines, when set, win",
            ),
            Legacy(
                "max_fps",
                convert=v2.main_rung("fps"),
                yields=True,
                note="frame rate of the `main` id; 0: unset; v3 pipelines, when set, win",
            ),
        ),
    )
    low_latency: bool = key(True, "browsers render each frame at once (playout delay 0); false lets them buffer (ours)")

    @property
    def ladder(self) -> Ladder:
        """The ids in order with their rungs; the default ladder for this machine's cores when nothing is set."""
        return self.ladder_for(len(os.sched_getaffinity(0)))

    def ladder_for(self, cpus: int) -> Ladder:
        rungs = self.pipelines or default_rungs(cpus)
        return Ladder(self.codec, tuple(rungs[i] for i in (self.ids or tuple(rungs))))


@dataclass(frozen=True)
class AudioCaptureConfig:
    enabled: bool = key(True, "send the room's audio (ours)")
    device: str = key(
        "audio_output.monitor",
        "PulseAudio source captured for the room's audio",
        legacy=(Legacy("device", convert=v2.unless_empty, note="when not empty"),),
    )
    bitrate: int = key(
        128, "Opus bitrate in kbit/s (ours)", legacy=(Legacy("audio_bitrate", convert=v2.nonzero, note="0: unset"),)
    )
    codec: AudioCodec = key(
        "opus",
        "audio codec: `opus`, `g722`, `pcmu` or `pcma`",
        legacy=(
            Legacy("audio_codec"),
            *(
                Legacy(name, convert=v2.when_true(name), note=f"`true`: `{name}`")
                for name in ("pcma", "pcmu", "g722", "opus")
            ),
        ),
    )


@dataclass(frozen=True)
class MicrophoneConfig:
    enabled: bool = key(True, "play clients' microphones into the desktop")
    device: str = key("audio_input", "PulseAudio sink clients' microphones play into")


@dataclass(frozen=True)
class PulseConfig:
    server: str = key("", "PulseAudio server to use; empty: nekoapi starts its own with null sinks (ours)")


@dataclass(frozen=True)
class BroadcastConfig:
    """The RTMP push of the screen (Neko's ``capture.broadcast``)."""

    # An RTMP URL usually carries a stream key.
    url: str = key(
        "",
        "RTMP URL to push the screen to (rtmp:// or rtmps://; empty: none)",
        check=_rtmp_url,
        secret=True,
        legacy=(Legacy("broadcast_url"),),
    )
    autostart: bool = key(
        True, "with a URL set, start broadcasting when the server starts", legacy=(Legacy("broadcast_autostart"),)
    )
    audio_bitrate: int = key(128, "broadcast AAC audio bitrate in kbit/s", check=positive)
    video_bitrate: int = key(4096, "broadcast H.264 video bitrate in kbit/s", check=positive)
    preset: X264Preset = key("veryfast", "x264 speed preset of the broadcast (ultrafast ... veryslow)")
    fps: int = key(25, "broadcast frames per second, 1-60 (ours)", check=within(1, 60, "frames per second"))


@dataclass(frozen=True)
class ScreencastConfig:
    """JPEG frames of the screen served at /api/room/screen/cast.jpg (Neko's ``capture.screencast``)."""

    enabled: bool = key(False, "serve JPEG frames at /api/room/screen/cast.jpg")
    rate: Fraction = key(
        Fraction(10), "screencast frames per second, as a fraction (`10/1`)", parse=frame_rate, shown="10/1"
    )
    quality: int = key(60, "screencast JPEG quality, 1-100", check=within(1, 100, "a JPEG quality"))

    @property
    def fps(self) -> float:
        return float(self.rate)


RECORDING_CONTAINERS = {"vp8": "webm", "h264": "mp4"}  # the container each recordable video codec goes into


def _container_fits(config: Any) -> str | None:
    container, codec = config.capture.recording.container, config.capture.video.codec
    if container and RECORDING_CONTAINERS.get(codec) != container:
        return f"{container} does not hold {codec} video (webm holds vp8, mp4 holds h264)"
    return None


def _not_negative(value: float) -> str | None:
    return "expected 0 (no limit) or more" if value < 0 else None


@dataclass(frozen=True)
class RecordingConfig:
    """Recordings of the room: the encoded packets the viewers get, muxed into files (ours)."""

    dir: str = key("data/recordings", "directory of the room's recordings; made on first use (ours)")
    container: Literal["", "webm", "mp4"] = key(
        "", "`webm` (VP8) or `mp4` (H.264); empty: the one the video codec fits (ours)", cross_check=_container_fits
    )
    autostart: bool = key(False, "start recording when the server starts (ours)")
    max_bytes: int = key(
        0, "bytes all recordings may take; the oldest go first (0: no limit) (ours)", check=_not_negative
    )
    max_age: float = key(
        0.0, "recordings older than this are removed, e.g. `72h` (0: kept) (ours)", check=_not_negative
    )


@dataclass(frozen=True)
class CaptureConfig:
    video: VideoCaptureConfig = section(VideoCaptureConfig)
    audio: AudioCaptureConfig = section(AudioCaptureConfig)
    microphone: MicrophoneConfig = section(MicrophoneConfig)
    pulse: PulseConfig = section(PulseConfig)
    broadcast: BroadcastConfig = section(BroadcastConfig)
    screencast: ScreencastConfig = section(ScreencastConfig)
    recording: RecordingConfig = section(RecordingConfig)
