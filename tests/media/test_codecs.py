"""Neko's codecs: VP9 and AV1 video (our RTP payloaders), G.722, PCMU and PCMA audio."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import VpxPayloadDescriptor, vp8_depayload

from nekoapi.config import AudioCaptureConfig, ConfigError, load_config
from nekoapi.media.audio import AUDIO_CODECS
from nekoapi.media.encoders import open_encoder
from nekoapi.media.payloaders import PAYLOAD_MAX, VP8_PACKET_MAX, Av1Payloader, Vp8Payloader, Vp9Payloader
from nekoapi.media.pulse import PulseServer
from nekoapi.media.vpx import EncodedFrame
from nekoapi.media.yuv import I420, Converter
from tests.support.browser import log_in, page_at
from tests.support.factory import USER_PASSWORD
from tests.support.patience import REPLY

from .desktop import Painter
from .rtp_depayload import av1_temporal_unit, vp9_frame
from .server import media_server

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (220, 220, 60)]


def _screens(width: int, height: int) -> list[np.ndarray]:
    """BGRX pictures: a coloured field with a moving noisy block (so frames need several packets)."""
    rng = np.random.default_rng(1)
    out = []
    for index, (r, g, b) in enumerate(COLOURS * 2):
        screen = np.zeros((height, width, 4), np.uint8)
        screen[..., :3] = (b, g, r)
        screen[40:200, 40 + index * 20 : 200 + index * 20, :3] = rng.integers(0, 255, (160, 160, 3))
        out.append(screen)
    return out


def _centre(frame: av.VideoFrame) -> tuple[int, int, int]:
    pixels = frame.to_ndarray(format="rgb24")
    h, w, _ = pixels.shape
    return tuple(int(c) for c in pixels[h * 3 // 4, w * 3 // 4])  # type: ignore[return-value]


@pytest.mark.parametrize(("codec", "decoder"), [("vp9", "vp9"), ("av1", "libdav1d")])
def test_payloaded_pictures_decode_to_the_screen(codec: str, decoder: str) -> None:
    width, height = 640, 360
    encoder = open_encoder(codec, width, height, 25, 1_000_000)
    payloader = Vp9Payloader() if codec == "vp9" else Av1Payloader()
    decode = av.CodecContext.create(decoder, "r")
    if decoder == "libdav1d":
        decode.options = {"max_frame_delay": "1"}  # a frame out for each frame in, as a browser plays it
    picture, converter = I420(width, height), Converter()
    for index, screen in enumerate(_screens(width, height)):
        converter.convert(screen, picture)
        for packet in encoder.encode(picture, index * 3600, key=index == 0):
            payloads, timestamp = payloader.pack(packet)
            assert timestamp == index * 3600
            assert all(len(p) <= PAYLOAD_MAX for p in payloads) and (len(payloads) > 1 or index > 0)
            if codec == "vp9":
                data, first = vp9_frame(payloads)
                assert first["flexible"] and first["inter"] == (index > 0)
                assert (first["refs"], first["ref"]) == ((1, 1) if index else (0, 0))
                if index == 0:
                    assert (first["width"], first["height"]) == (width, height)
            else:
                data, new_sequence = av1_temporal_unit(payloads)
                assert new_sequence == (index == 0)
            frames = decode.decode(av.Packet(data))
            assert len(frames) == 1
            r, g, b = COLOURS[index % len(COLOURS)]
            seen = _centre(frames[0])
            assert max(abs(a - e) for a, e in zip(seen, (r, g, b), strict=True)) <= 12, (index, seen)
    encoder.close()


def test_the_vp9_picture_id_counts_per_viewer_and_wraps() -> None:
    payloader = Vp9Payloader()
    payloader.picture_id = (1 << 15) - 1
    packet: Any = type("P", (), {"pts": 0, "time_base": Fraction(1, 90000), "is_keyframe": False})()
    packet.__class__.__bytes__ = lambda self: b"\x00" * 10
    ids = [vp9_frame(payloader.pack(packet)[0])[1]["picture_id"] for _ in range(2)]
    assert ids == [(1 << 15) - 1, 0]


def test_vp8_viewers_get_the_same_picture_each_with_its_own_picture_ids() -> None:
    """Several viewers of one stage: each depayloads the whole picture, behind its own descriptor."""
    rng = np.random.default_rng(2)
    pictures = [
        EncodedFrame(rng.integers(0, 255, size, np.uint8).tobytes(), 3600 * i, i == 0)
        for i, size in enumerate((5000, 1296, 1297, 40))
    ]
    viewers = [Vp8Payloader(), Vp8Payloader()]
    viewers[1].picture_id = (1 << 15) - 2  # wraps within the pictures
    starts = [viewer.picture_id for viewer in viewers]
    for index, picture in enumerate(pictures):
        packed = [viewer.pack(picture) for viewer in viewers]
        for start, (payloads, timestamp) in zip(starts, packed, strict=True):
            assert timestamp == picture.pts
            assert all(len(payload) <= VP8_PACKET_MAX for payload in payloads)
            assert b"".join(vp8_depayload(payload) for payload in payloads) == picture.data
            descriptors = [VpxPayloadDescriptor.parse(payload)[0] for payload in payloads]
            assert [d.partition_start for d in descriptors] == [1] + [0] * (len(payloads) - 1)
            assert {d.picture_id for d in descriptors} == {(start + index) % (1 << 15)}
        (first, _), (second, _) = packed
        assert [p[4:] for p in first] == [p[4:] for p in second]  # one cut, two descriptors


def test_codec_keys_are_checked() -> None:
    assert load_config({"NEKO_CAPTURE_VIDEO_CODEC": "vp9"}).capture.video.ladder.codec == "vp9"
    assert load_config({"NEKO_CAPTURE_VIDEO_CODEC": "av1"}).capture.video.ladder.codec == "av1"
    with pytest.raises(ConfigError, match="NEKO_CAPTURE_VIDEO_CODEC"):
        load_config({"NEKO_CAPTURE_VIDEO_CODEC": "hevc"})
    assert load_config({"NEKO_CAPTURE_AUDIO_CODEC": "g722"}).capture.audio.codec == "g722"
    with pytest.raises(ConfigError, match="NEKO_CAPTURE_AUDIO_CODEC"):
        load_config({"NEKO_CAPTURE_AUDIO_CODEC": "aac"})
    assert set(AUDIO_CODECS) == {"opus", "g722", "pcmu", "pcma"} and AudioCaptureConfig().codec == "opus"


async def _shows(page: Any, rgb: tuple[int, int, int], timeout: float = REPLY) -> None:
    deadline = time.monotonic() + timeout
    script = """() => {
      const video = document.getElementById('video');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 1;
      const pen = canvas.getContext('2d');
      pen.drawImage(video, video.videoWidth / 2, video.videoHeight / 2, 1, 1, 0, 0, 1, 1);
      return Array.from(pen.getImageData(0, 0, 1, 1).data.slice(0, 3));
    }"""
    seen: list[int] = []
    while time.monotonic() < deadline:
        seen = await page.evaluate(script)
        if max(abs(a - b) for a, b in zip(seen, rgb, strict=True)) <= 24:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"Chromium shows {seen}, the desktop {rgb}")


@pytest.mark.parametrize("codec", ["vp9", "av1"])
async def test_chromium_plays_the_desktop_in(
    codec: str, media_display: str, pulse: PulseServer, painter: Painter
) -> None:
    painter.fill((200, 60, 30))
    with media_server(media_display, pulse, NEKO_CAPTURE_VIDEO_CODEC=codec) as server:
        async with page_at(server.http_url) as page:
            await log_in(page, "alice", USER_PASSWORD, timeout=30)
            await _shows(page, (200, 60, 30))
            painter.fill((30, 90, 210))
            await _shows(page, (30, 90, 210))
            assert await page.evaluate("document.getElementById('video').videoWidth") == 1280


@pytest.mark.parametrize("codec", ["g722", "pcmu", "pcma"])
async def test_an_audio_codec_of_nekos_is_offered_alone_and_carries_the_tone(
    codec: str, media_display: str, pulse: PulseServer
) -> None:
    from .client import Viewer

    with media_server(media_display, pulse, NEKO_CAPTURE_AUDIO_CODEC=codec) as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("alice", USER_PASSWORD)
            await client.watch({"video": {"disabled": True}})
            sdp = client.provide["sdp"]
            name = {"g722": "G722/8000", "pcmu": "PCMU/8000", "pcma": "PCMA/8000"}[codec]
            assert name in sdp and "opus" not in sdp
            frame = await client.frame("audio")
            assert frame.sample_rate == AUDIO_CODECS[codec].rate and frame.layout.name == "mono"
        finally:
            await client.close()
