"""The media bench's timing viewer: frames leave at their marker bit, colours are read right, paints drift in phase."""

from __future__ import annotations

import av
import numpy as np
import pytest
from aiortc.rtp import RtpPacket

from bench.media_clients import MarkerJitterBuffer, between_paints, centre_rgb, received

FRAME = 3600  # 90 kHz ticks between two frames at 25 fps


def packet(sequence: int, timestamp: int, *, marker: bool = False) -> RtpPacket:
    p = RtpPacket(payload_type=96, marker=int(marker), sequence_number=sequence, timestamp=timestamp)
    p._data = f"<{sequence}>".encode()  # what the depayloader would have left
    return p


def test_a_frame_is_released_by_its_last_packet_not_the_next_frames_first() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(packet(1, 1000))[1] is None
    assert buffer.add(packet(2, 1000))[1] is None
    frame = buffer.add(packet(3, 1000, marker=True))[1]
    assert frame is not None and frame.timestamp == 1000 and frame.data == b"<1><2><3>"
    following = buffer.add(packet(4, 1000 + FRAME, marker=True))[1]
    assert following is not None and following.data == b"<4>"


def test_aiortcs_own_behaviour_waits_for_the_next_frame() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    buffer.at_marker = False
    assert buffer.add(packet(1, 1000))[1] is None
    assert buffer.add(packet(2, 1000, marker=True))[1] is None
    frame = buffer.add(packet(3, 1000 + FRAME))[1]
    assert frame is not None and frame.data == b"<1><2>"


def test_a_packet_arriving_late_completes_its_frame() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    buffer.add(packet(1, 1000))
    assert buffer.add(packet(3, 1000, marker=True))[1] is None  # 2 is still on its way
    frame = buffer.add(packet(2, 1000))[1]
    assert frame is not None and frame.data == b"<1><2><3>"


def test_frames_without_marker_bits_still_leave_when_the_next_frame_starts() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    buffer.add(packet(1, 1000))
    buffer.add(packet(2, 1000))
    frame = buffer.add(packet(3, 1000 + FRAME))[1]
    assert frame is not None and frame.data == b"<1><2>"


def vp8(sequence: int, timestamp: int, *, first: bool = False, key: bool = False, marker: bool = False) -> RtpPacket:
    """A VP8 packet: its payload descriptor says whether it starts a frame, its frame tag whether a keyframe."""
    p = packet(sequence, timestamp, marker=marker)
    p.payload = bytes([0x10 if first else 0x00]) + b"x"
    p._data = (bytes([0x00 if key else 0x01]) if first else b"") + f"<{sequence}>".encode()
    return p


def test_a_packet_lost_for_good_is_skipped_at_the_next_whole_keyframe_with_a_keyframe_asked_for() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(vp8(1, 1000, first=True, key=True, marker=True))[1].decodes
    buffer.add(vp8(2, 1000 + FRAME, first=True))  # 3, the rest of this frame, never comes
    asked, frame = buffer.add(vp8(4, 1000 + 2 * FRAME, first=True, marker=True))
    assert frame is None and asked  # a whole frame behind the hole: a keyframe is due
    assert buffer.add(vp8(5, 1000 + 3 * FRAME, first=True, marker=True)) == (False, None)  # not asked twice at once
    asked, frame = buffer.add(vp8(6, 1000 + 4 * FRAME, first=True, key=True, marker=True))
    assert frame is not None and frame.timestamp == 1000 + 4 * FRAME and frame.decodes
    assert buffer.add(vp8(3, 1000 + FRAME)) == (False, None)  # too late now: no restart of the buffer


def test_a_frame_after_one_that_went_missing_does_not_decode() -> None:
    buffer = MarkerJitterBuffer(capacity=4, is_video=True)
    buffer.add(vp8(1, 1000, first=True, key=True, marker=True))
    buffer.add(vp8(2, 1000 + FRAME, first=True))  # the rest of it, 3, never comes
    buffer.add(vp8(4, 1000 + 2 * FRAME, first=True, marker=True))
    buffer.add(vp8(5, 1000 + 3 * FRAME, first=True, marker=True))
    asked, frame = buffer.add(vp8(6, 1000 + 4 * FRAME, first=True, marker=True))  # full: 2 is dropped
    assert asked and frame is not None and frame.timestamp == 1000 + 2 * FRAME
    assert not frame.decodes  # whole, but the frame it refers to was lost


def test_a_received_vp8_keyframe_tells_its_width() -> None:
    header = bytes([0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A]) + (640).to_bytes(2, "little") + (360).to_bytes(2, "little")
    frame = MarkerJitterBuffer(capacity=128, is_video=True).add(vp8(1, 1000, first=True, key=True, marker=True))[1]
    frame.data = header + b"rest"
    codec = type("Codec", (), {"name": "VP8"})()
    got = received(codec, frame)
    assert got.key and got.width == 640 and got.decodes and got.timestamp == 1000
    frame.data = bytes([0x51]) + header[1:]
    assert not received(codec, frame).key


@pytest.mark.parametrize("rgb", [(230, 20, 20), (20, 20, 230), (128, 128, 128)])
def test_the_centre_colour_is_read_from_the_planes(rgb: tuple[int, int, int]) -> None:
    pixels = np.zeros((720, 1280, 3), np.uint8)
    pixels[340:380, 620:660] = rgb  # only the centre has the colour
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
    assert max(abs(a - b) for a, b in zip(centre_rgb(frame), rgb, strict=True)) <= 8


def test_paints_start_at_every_millisecond_of_a_frame_interval() -> None:
    phases = {round(between_paints(i) * 1000) % 40 for i in range(40)}
    assert phases == set(range(40))
