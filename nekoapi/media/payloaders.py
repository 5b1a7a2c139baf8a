"""RTP payloaders: VP9 (RFC 9628) and AV1 (the AOM "RTP Payload Format For AV1"), which aiortc lacks, and
VP8 (RFC 7741) cut once for every viewer.

Each turns one encoded picture into RTP payloads, as aiortc's own ``Encoder.pack`` does for H264;
the sender adds the RTP header and sets the marker bit on the last one. One instance serves one
sender (its picture ids count that viewer's pictures).
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from aiortc.codecs.base import Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import convert_timebase

from .vpx import CLOCK

PAYLOAD_MAX = 1200  # bytes of payload per packet: room for the header, extensions and SRTP in 1280


class _PackOnly(Encoder):
    """The stages encode; a payloader only packs what they made."""

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise NotImplementedError("shared stages encode; this sender only packetizes")


def _timestamp(packet: Any) -> int:
    time_base = packet.time_base or CLOCK
    return int(packet.pts) if time_base is CLOCK else convert_timebase(packet.pts, time_base, CLOCK)


VP8_PACKET_MAX = 1300  # bytes of payload, descriptor included: aiortc's own VP8 packets
VP8_DESCRIPTOR = 4  # X, I and a 15-bit picture id (M=1), as aiortc writes it, whatever the id
SHARED_PICTURES = 8  # pictures whose chunks are kept: a stage's latest for each of a few rungs


class Vp8Payloader(Vp8Encoder):
    """aiortc's VP8 packets (one partition, S on the first), with the picture cut only once for all viewers.

    Every viewer of a stage gets the same picture: the chunks of the last few pictures are kept (by
    identity, so a picture is never mistaken for another) and each sender puts only its own 4-byte
    descriptor, with its own picture id (aiortc's ``picture_id``), before each chunk. A picture no
    longer kept is cut again. Frames to encode (none of ours) go to aiortc's own encoder, unchanged.
    """

    _shared: deque[tuple[Any, list[bytes]]] = deque(maxlen=SHARED_PICTURES)  # every sender's, on the event loop

    @classmethod
    def chunks(cls, packet: Any) -> list[bytes]:
        for picture, chunks in cls._shared:
            if picture is packet:
                return chunks
        data = bytes(packet)
        room = VP8_PACKET_MAX - VP8_DESCRIPTOR
        chunks = [data[position : position + room] for position in range(0, len(data), room)]
        cls._shared.append((packet, chunks))
        return chunks

    def pack(self, packet: Any) -> tuple[list[bytes], int]:
        chunks = self.chunks(packet)
        picture_id = self.picture_id
        self.picture_id = (picture_id + 1) % (1 << 15)
        picture = bytes([0x80 | picture_id >> 8, picture_id & 0xFF])
        first, rest = b"\x90\x80" + picture, b"\x80\x80" + picture
        return [(rest if index else first) + chunk for index, chunk in enumerate(chunks)], _timestamp(packet)


class Vp9Payloader(_PackOnly):
    """Flexible mode, one spatial and one temporal layer: each picture refers to the one before it
    (P_DIFF 1), a keyframe to none and carries the scalability structure with its size."""

    def __init__(self) -> None:
        self.picture_id = random.randint(0, (1 << 15) - 1)

    def pack(self, packet: Any) -> tuple[list[bytes], int]:
        data = bytes(packet)
        key = bool(packet.is_keyframe)
        picture_id = self.picture_id
        self.picture_id = (picture_id + 1) % (1 << 15)
        head = bytes([0x80 | picture_id >> 8, picture_id & 0xFF, 0x00])  # M=1 picture id, then TID/U/SID/D = 0
        refs = b"" if key else bytes([1 << 1])  # P_DIFF 1, N=0
        size = getattr(packet, "dimensions", None)
        structure = b""
        if key and size is not None:
            width, height = size
            structure = bytes([0x10, width >> 8, width & 0xFF, height >> 8, height & 0xFF])  # N_S=0, Y=1, G=0
        payloads = []
        position = 0
        while position < len(data) or not payloads:
            first = position == 0
            extra = structure if first else b""
            room = PAYLOAD_MAX - 1 - len(head) - len(refs) - len(extra)
            chunk = data[position : position + room]
            position += len(chunk)
            last = position >= len(data)
            flags = 0x80 | 0x20 | 0x10  # I, L, F
            flags |= 0x00 if key else 0x40  # P
            flags |= (0x08 if first else 0) | (0x04 if last else 0) | (0x02 if extra else 0)  # B, E, V
            payloads.append(bytes([flags]) + head + refs + extra + chunk)
        return payloads, convert_timebase(packet.pts, packet.time_base or CLOCK, CLOCK)


# AV1 OBU types (AV1 specification 6.2.2).
OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER, OBU_TILE_LIST, OBU_PADDING = 1, 2, 8, 15
_DROPPED = {OBU_TEMPORAL_DELIMITER, OBU_TILE_LIST, OBU_PADDING}  # never sent over RTP


def leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def read_leb128(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def av1_obus(temporal_unit: bytes) -> list[bytes]:
    """The OBUs of a temporal unit as RTP carries them: without size fields, dropped types left out."""
    obus = []
    position = 0
    while position < len(temporal_unit):
        header = temporal_unit[position]
        kind = (header >> 3) & 0x0F
        header_size = 2 if header & 0x04 else 1
        start = position + header_size
        if header & 0x02:
            size, start = read_leb128(temporal_unit, start)
        else:
            size = len(temporal_unit) - start
        if kind not in _DROPPED:
            ext = temporal_unit[position + 1 : position + 2] if header_size == 2 else b""
            obus.append(bytes([header & ~0x02]) + ext + temporal_unit[start : start + size])
        position = start + size
    return obus


class Av1Payloader(_PackOnly):
    """OBU elements each with its length (W=0), fragmented across packets (Z/Y); N on a new sequence."""

    def pack(self, packet: Any) -> tuple[list[bytes], int]:
        obus = av1_obus(bytes(packet))
        new_sequence = bool(packet.is_keyframe) and any((obu[0] >> 3) & 0x0F == OBU_SEQUENCE_HEADER for obu in obus)
        payloads: list[bytes] = []
        body = bytearray()
        continues = False  # the packet's first element goes on from the previous packet
        for obu in obus:
            position = 0
            while position < len(obu):
                room = PAYLOAD_MAX - 1 - len(body)
                rest = len(obu) - position
                take = min(rest, room - len(leb128(min(rest, room))))
                if take <= 0:
                    payloads.append(self._packet(body, continues, False, new_sequence and not payloads))
                    body, continues = bytearray(), False
                    continue
                body += leb128(take) + obu[position : position + take]
                position += take
                if position < len(obu):  # the OBU goes on in the next packet
                    payloads.append(self._packet(body, continues, True, new_sequence and not payloads))
                    body, continues = bytearray(), True
        if body or not payloads:
            payloads.append(self._packet(body, continues, False, new_sequence and not payloads))
        return payloads, convert_timebase(packet.pts, packet.time_base or CLOCK, CLOCK)

    @staticmethod
    def _packet(body: bytearray, z: bool, y: bool, n: bool) -> bytes:
        aggregation = (0x80 if z else 0) | (0x40 if y else 0) | (0x08 if n else 0)  # W=0
        return bytes([aggregation]) + bytes(body)
