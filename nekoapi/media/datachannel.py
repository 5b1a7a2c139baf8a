"""Neko's binary protocol on the data channel "data": one table, one parser, one writer.

Big-endian; every message starts with ``u8 op, u16 length``. From clients the length is
ignored (except that a 4-byte SCROLL is the old ``x, y`` form); to clients it counts the
whole message, header included.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct(">BH")


@dataclass(frozen=True)
class Op:
    code: int
    name: str
    body: struct.Struct
    fields: tuple[str, ...]


def _op(code: int, name: str, fmt: str, *fields: str) -> Op:
    return Op(code, name, struct.Struct(">" + fmt), fields)


# client -> server
CLIENT_OPS = {
    op.code: op
    for op in (
        _op(0x01, "move", "HH", "x", "y"),
        _op(0x02, "scroll", "hhB", "delta_x", "delta_y", "control_key"),
        _op(0x03, "key_down", "I", "keysym"),
        _op(0x04, "key_up", "I", "keysym"),
        _op(0x05, "button_down", "I", "code"),
        _op(0x06, "button_up", "I", "code"),
        _op(0x07, "ping", "II", "hi", "lo"),
        _op(0x08, "touch_begin", "IiiB", "touch_id", "x", "y", "pressure"),
        _op(0x09, "touch_update", "IiiB", "touch_id", "x", "y", "pressure"),
        _op(0x0A, "touch_end", "IiiB", "touch_id", "x", "y", "pressure"),
    )
}
OLD_SCROLL = _op(0x02, "scroll", "hh", "delta_x", "delta_y")

# server -> client
CURSOR_POSITION = _op(0x01, "cursor_position", "HH", "x", "y")
CURSOR_IMAGE = _op(0x02, "cursor_image", "HHHH", "width", "height", "x", "y")
PONG = _op(0x03, "pong", "IIII", "client_hi", "client_lo", "server_hi", "server_lo")


@dataclass(frozen=True)
class Message:
    name: str
    values: dict[str, int]


def parse(data: bytes) -> Message | None:
    """One client message, or None when it is not one of ours (too short, unknown op)."""
    if len(data) < HEADER.size:
        return None
    code, length = HEADER.unpack_from(data)
    op = CLIENT_OPS.get(code)
    if op is None:
        return None
    if op.name == "scroll" and length == OLD_SCROLL.body.size:
        op = OLD_SCROLL
    if len(data) < HEADER.size + op.body.size:
        return None
    values = dict(zip(op.fields, op.body.unpack_from(data, HEADER.size), strict=True))
    if op is OLD_SCROLL:
        values["control_key"] = 0
    return Message(op.name, values)


def write(op: Op, *values: Any, tail: bytes = b"") -> bytes:
    body = op.body.pack(*values) + tail
    return HEADER.pack(op.code, HEADER.size + len(body)) + body


def pong(hi: int, lo: int, now_ms: int | None = None) -> bytes:
    """PONG echoes the client's time and adds ours, split the way Neko splits it."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    server_hi, server_lo = divmod(now, 2**32 - 1)  # Neko's split: hi * (2^32 - 1) + lo
    return write(PONG, hi, lo, server_hi, server_lo)


def ping_ms(hi: int, lo: int) -> int:
    return hi * (2**32 - 1) + lo


def cursor_position(x: int, y: int) -> bytes:
    return write(CURSOR_POSITION, x & 0xFFFF, y & 0xFFFF)


def cursor_image(width: int, height: int, xhot: int, yhot: int, png: bytes) -> bytes:
    return write(CURSOR_IMAGE, width, height, xhot, yhot, tail=png)
