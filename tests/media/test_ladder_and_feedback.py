"""The ladder's schema, the selectors, and receivers' feedback reaching the shared encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiortc import RTCConfiguration
from aiortc.rtp import RTCP_PSFB_APP, RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket, pack_remb_fci

from nekoapi.config import ConfigError, Ladder, load_config
from nekoapi.media.peer import Peer, worth_resending
from nekoapi.media.viewer import StreamNotFound, select
from nekoapi.ws.payloads import StreamSelector as S

PIPELINES = {"hd": {"bitrate": 3000}, "sd": {"width": 854, "height": 480, "bitrate": 1000}, "ld": {"bitrate": 300}}


class Stage:
    def __init__(self) -> None:
        self.keyframes = 0
        self.bitrates: list[int] = []

    def request_keyframe(self) -> None:
        self.keyframes += 1

    def feedback(self, receiver: object, bitrate: int) -> None:
        self.bitrates.append(bitrate)

    def add(self, listener: object) -> None: ...

    def remove(self, listener: object) -> None: ...


def ladder(**env: str) -> Ladder:
    return load_config(env).capture.video.ladder


def ladder_on(cpus: int, **env: str) -> Ladder:
    return load_config(env).capture.video.ladder_for(cpus)


def test_defaults_are_one_main_rung_at_screen_size() -> None:
    rungs = ladder_on(2).rungs
    assert [(r.id, r.fps, r.bitrate, r.size(1280, 720)) for r in rungs] == [("main", 25, 2000, (1280, 720))]


def test_a_machine_with_cores_to_spare_offers_a_60_fps_rung_too() -> None:
    rungs = ladder_on(4).rungs
    assert [(r.id, r.fps, r.size(1280, 720)) for r in rungs] == [("main", 25, (1280, 720)), ("main60", 60, (1280, 720))]
    configured = ladder_on(8, NEKO_CAPTURE_VIDEO_PIPELINES='{"hd": {"fps": 60}}').rungs
    assert [(r.id, r.fps) for r in configured] == [("hd", 60)]  # a configured ladder is kept as it is


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEKO_CAPTURE_VIDEO_CODEC": "hevc"}, "NEKO_CAPTURE_VIDEO_CODEC: expected vp8, vp9, av1 or h264, got 'hevc'"),
        (
            {"NEKO_CAPTURE_VIDEO_PIPELINES": '{"a": {"fps": 61}}'},
            "NEKO_CAPTURE_VIDEO_PIPELINES: a.fps: expected at most 60",
        ),
        ({"NEKO_CAPTURE_VIDEO_IDS": "x"}, "NEKO_CAPTURE_VIDEO_IDS: 'x' has no entry in capture.video.pipelines"),
        ({"NEKO_CAPTURE_VIDEO_PIPELINES": '{"a": {"fps": 0}}'}, "NEKO_CAPTURE_VIDEO_PIPELINES: a.fps: expected"),
        ({"NEKO_CAPTURE_VIDEO_PIPELINES": '{"a": {"size": 1}}'}, "NEKO_CAPTURE_VIDEO_PIPELINES: a.size: unknown key"),
        (
            {"NEKO_CAPTURE_VIDEO_PIPELINES": '{"a": {"bitrate": 100, "max_bitrate": 50}}'},
            "NEKO_CAPTURE_VIDEO_PIPELINES: a: expected min_bitrate <= bitrate <= max_bitrate",
        ),
    ],
)
def test_a_bad_ladder_is_refused_when_the_configuration_is_read(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(env)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("capture:\n  video:\n    pipelines:\n      a: {fps: 0}\n", "capture.video.pipelines.a.fps: expected"),
        ("capture:\n  video:\n    pipelines:\n      a: 5\n", "capture.video.pipelines.a: expected an object"),
        ("capture:\n  video:\n    ids: [hd, x]\n    pipelines: {hd: {}}\n", "capture.video.ids: 'x' has no"),
    ],
)
def test_a_bad_ladder_in_the_file_names_its_dotted_key(tmp_path: Path, yaml: str, message: str) -> None:
    (tmp_path / "neko.yaml").write_text(yaml)
    with pytest.raises(ConfigError) as refused:
        load_config({}, str(tmp_path / "neko.yaml"))
    assert str(refused.value).startswith(message)


def test_the_ladder_from_a_yaml_mapping_is_the_one_from_json(tmp_path: Path) -> None:
    (tmp_path / "neko.yaml").write_text(
        "capture:\n  video:\n    codec: H264\n    ids: [hd, sd, ld]\n    pipelines:\n"
        + "".join(f"      {i}: {json.dumps(spec)}\n" for i, spec in PIPELINES.items())
    )
    from_file = load_config({}, str(tmp_path / "neko.yaml")).capture.video.ladder
    from_env = ladder(
        NEKO_CAPTURE_VIDEO_CODEC="h264",
        NEKO_CAPTURE_VIDEO_IDS="hd,sd,ld",
        NEKO_CAPTURE_VIDEO_PIPELINES=json.dumps(PIPELINES),
    )
    assert from_file == from_env and from_file.codec == "h264"
    assert [(r.id, r.width, r.bitrate, r.min_bitrate) for r in from_env.rungs] == [
        ("hd", None, 3000, 750),
        ("sd", 854, 1000, 250),
        ("ld", None, 300, 100),
    ]


def test_selectors_by_id_and_by_bitrate() -> None:
    rungs = ladder(NEKO_CAPTURE_VIDEO_IDS="hd,sd,ld", NEKO_CAPTURE_VIDEO_PIPELINES=json.dumps(PIPELINES))
    assert select(rungs, None, None) == "hd"
    assert select(rungs, "hd", S(type="lower", id="hd")) == "sd"
    assert select(rungs, "sd", S(type="higher", id="sd")) == "hd"
    assert select(rungs, None, S(type="nearest", bitrate=120_000)) == "sd"  # bytes/s: 125,000 is sd
    assert select(rungs, None, S(type="lower", bitrate=100_000)) == "ld"
    assert select(rungs, None, S(type="higher", bitrate=200_000)) == "hd"
    for selector in (S(id="nope"), S(type="higher", id="hd"), S(type="exact", bitrate=1)):
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


def test_a_nack_for_packets_older_than_the_newest_keyframe_is_not_answered() -> None:
    # Packets 10-19: five frames of two packets, 3600 ticks apart; the last, 18 and 19, a keyframe sent after
    # the frame at 2**32 - 3600 (the timestamps wrap there). What came before it is no use to the viewer any more.
    sent = {10 + i: (2**32 - 4 * 3600 + (i // 2) * 3600) % 2**32 for i in range(10)}
    assert worth_resending(list(sent), sent.get, keyframe_after=2**32 - 3600) == [18, 19]
    assert worth_resending([9, 19], sent.get, keyframe_after=2**32 - 3600) == [19]  # 9: no longer kept to send again
