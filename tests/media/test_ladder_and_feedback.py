"""The ladder's schema, the selectors, and receivers' feedback reaching the shared encoder."""

from __future__ import annotations

import pytest
from aiortc import RTCConfiguration
from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket, pack_remb_fci

from nekoapi.config import ConfigError, VideoCaptureConfig
from nekoapi.media.ladder import ladder
from nekoapi.media.peer import Peer
from nekoapi.media.viewer import StreamNotFound, select

PIPELINES = {"hd": {"bitrate": 3000}, "sd": {"width": 854, "height": 480, "bitrate": 1000}, "ld": {"bitrate": 300}}


class Stage:
    def __init__(self) -> None:
        self.keyframes = 0
        self.bitrates: list[int] = []

    def request_keyframe(self) -> None:
        self.keyframes += 1

    def feedback(self, bitrate: int) -> None:
        self.bitrates.append(bitrate)

    def add(self, listener: object) -> None: ...

    def remove(self, listener: object) -> None: ...


def test_defaults_are_one_main_rung_at_screen_size() -> None:
    rungs = ladder(VideoCaptureConfig()).rungs
    assert [(r.id, r.fps, r.bitrate, r.size(1280, 720)) for r in rungs] == [("main", 25, 2000, (1280, 720))]


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (VideoCaptureConfig(codec="av1"), "capture.video.codec"),
        (VideoCaptureConfig(ids=("x",)), "capture.video.ids"),
        (VideoCaptureConfig(pipelines={"a": {"fps": 0}}), "capture.video.pipelines.a.fps"),
        (VideoCaptureConfig(pipelines={"a": {"size": 1}}), "capture.video.pipelines.a.size"),
        (VideoCaptureConfig(pipelines={"a": {"bitrate": 100, "max_bitrate": 50}}), "capture.video.pipelines.a"),
    ],
)
def test_a_bad_ladder_names_its_key(config: VideoCaptureConfig, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        ladder(config)


def test_selectors_by_id_and_by_bitrate() -> None:
    rungs = ladder(VideoCaptureConfig(ids=("hd", "sd", "ld"), pipelines=PIPELINES))
    assert select(rungs, None, None) == "hd"
    assert select(rungs, "hd", {"type": "lower", "id": "hd"}) == "sd"
    assert select(rungs, "sd", {"type": "higher", "id": "sd"}) == "hd"
    assert select(rungs, None, {"type": "nearest", "bitrate": 120_000}) == "sd"  # bytes/s: 125,000 is sd
    assert select(rungs, None, {"type": "lower", "bitrate": 100_000}) == "ld"
    assert select(rungs, None, {"type": "higher", "bitrate": 200_000}) == "hd"
    for selector in ({"id": "nope"}, {"type": "higher", "id": "hd"}, {"type": "exact", "bitrate": 1}):
        with pytest.raises(StreamNotFound):
            select(rungs, "hd", selector)


async def test_pli_and_fir_ask_the_shared_stage_for_a_keyframe_and_remb_moves_its_bitrate() -> None:
    peer = Peer(RTCConfiguration(iceServers=[]), "vp8")
    stage = Stage()
    peer.video.attach(stage)  # type: ignore[arg-type]
    assert stage.keyframes == 1  # a new listener starts at a keyframe
    sender = peer.pc.getTransceivers()[1].sender
    ssrc = sender._ssrc
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=ssrc))
    await sender._handle_rtcp_packet(
        RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(750_000, [ssrc]))
    )
    assert stage.keyframes == 2
    assert stage.bitrates == [750_000]
    await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=1, media_ssrc=ssrc))
    assert stage.keyframes == 3  # a FIR asks for one too
    await peer.close()
