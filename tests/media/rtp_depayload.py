"""Receivers' side of the VP9 and AV1 payload formats, written from the specs, to check our payloaders."""

from __future__ import annotations

from nekoapi.media.payloaders import leb128, read_leb128


def vp9_frame(payloads: list[bytes]) -> tuple[bytes, dict[str, int | bool]]:
    """The picture in one frame's payloads (RFC 9628 section 4.2), and the first descriptor's fields."""
    data = bytearray()
    first: dict[str, int | bool] = {}
    for index, payload in enumerate(payloads):
        flags = payload[0]
        i, p, layers, flexible, begins, ends, structure = (bool(flags & bit) for bit in (128, 64, 32, 16, 8, 4, 2))
        assert begins == (index == 0) and ends == (index == len(payloads) - 1)
        position = 1
        picture_id = -1
        if i:
            if payload[position] & 0x80:
                picture_id = ((payload[position] & 0x7F) << 8) | payload[position + 1]
                position += 2
            else:
                picture_id = payload[position] & 0x7F
                position += 1
        if layers:
            position += 1 if flexible else 2
        refs = []
        if flexible and p:
            while True:
                refs.append(payload[position] >> 1)
                more = payload[position] & 1
                position += 1
                if not more:
                    break
        size = None
        if structure:
            spatial = (payload[position] >> 5) + 1
            has_size = payload[position] & 0x10
            position += 1
            if has_size:
                size = (
                    payload[position] << 8 | payload[position + 1],
                    payload[position + 2] << 8 | payload[position + 3],
                )
                position += 4 * spatial
        if index == 0:
            first = {
                "picture_id": picture_id,
                "inter": p,
                "flexible": flexible,
                "refs": len(refs),
                "ref": refs[0] if refs else 0,
                "width": size[0] if size else 0,
                "height": size[1] if size else 0,
            }
        data += payload[position:]
    return bytes(data), first


def av1_temporal_unit(payloads: list[bytes]) -> tuple[bytes, bool]:
    """The OBUs of one frame's payloads (the AV1 RTP spec, section 4), as a decoder reads them (with sizes)."""
    obus: list[bytearray] = []
    new_sequence = bool(payloads[0][0] & 0x08)
    for index, payload in enumerate(payloads):
        z, y, count = bool(payload[0] & 0x80), bool(payload[0] & 0x40), (payload[0] >> 4) & 0x03
        position, element = 1, 0
        while position < len(payload):
            last = count and element == count - 1
            if last:
                size = len(payload) - position
            else:
                size, position = read_leb128(payload, position)
            piece = payload[position : position + size]
            position += size
            if element == 0 and z:
                assert index > 0
                obus[-1] += piece
            else:
                obus.append(bytearray(piece))
            element += 1
        assert not (y and index == len(payloads) - 1)
    out = bytearray(b"\x12\x00")  # a temporal delimiter, with its (empty) size
    for obu in obus:
        header = obu[0] | 0x02  # has_size_field
        header_size = 2 if obu[0] & 0x04 else 1
        out += bytes([header]) + obu[1:header_size] + leb128(len(obu) - header_size) + obu[header_size:]
    return bytes(out), new_sequence
