"""Wire format of the session WebSocket: ``{"event": name, "payload": object}``."""

from __future__ import annotations

import struct
from typing import Any

import orjson

# server -> client
SYSTEM_INIT = "system/init"
SYSTEM_ADMIN = "system/admin"
SYSTEM_SETTINGS = "system/settings"
SYSTEM_DISCONNECT = "system/disconnect"
SYSTEM_HEARTBEAT = "system/heartbeat"
SESSION_CREATED = "session/created"
SESSION_DELETED = "session/deleted"
SESSION_PROFILE = "session/profile"
SESSION_STATE = "session/state"
CONTROL_HOST = "control/host"
# Sent to the host when someone else asks for control; clients send it to ask.
CONTROL_REQUEST = "control/request"

# client -> server
CLIENT_HEARTBEAT = "client/heartbeat"
CONTROL_RELEASE = "control/release"

# signalling (WebRTC); signal/answer, candidate, offer, restart, video and audio go both ways
SIGNAL_REQUEST = "signal/request"
SIGNAL_PROVIDE = "signal/provide"
SIGNAL_ANSWER = "signal/answer"
SIGNAL_CANDIDATE = "signal/candidate"
SIGNAL_OFFER = "signal/offer"
SIGNAL_RESTART = "signal/restart"
SIGNAL_VIDEO = "signal/video"
SIGNAL_AUDIO = "signal/audio"
SIGNAL_CLOSE = "signal/close"
SESSION_CURSORS = "session/cursors"


def encode(event: str, payload: Any) -> str:
    return orjson.dumps({"event": event, "payload": payload}).decode()


def frame(event: str, payload: Any) -> bytes:
    """The message as a complete server-to-client text frame.

    Server frames are unmasked (RFC 6455, 5.1), so the same bytes suit every socket:
    a broadcast is framed once, not once per recipient.
    """
    return text_frame(orjson.dumps({"event": event, "payload": payload}))


def text_frame(data: bytes) -> bytes:
    return _text_header(len(data)) + data


def parted_frame(event: str, payload: dict[str, Any], name: str, members: bytes) -> tuple[bytes, ...]:
    """The message with ``payload[name] = {members}`` as a frame in parts, none of them a copy of ``members``.

    ``members`` is the inside of a JSON object (``"k":v,...``), already encoded and shared:
    system/init's sessions run to megabytes, and each connect would otherwise copy them twice
    (once into the message, once into the frame).
    """
    rest = orjson.dumps(payload)  # '{...}' without `name`
    opening = b'{"event":' + orjson.dumps(event) + b',"payload":{' + orjson.dumps(name) + b":{"
    closing = (b"}," + rest[1:] if len(rest) > 2 else b"}}") + b"}"
    size = len(opening) + len(members) + len(closing)
    return (_text_header(size), opening, members, closing)


def _text_header(size: int) -> bytes:
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size)
    return struct.pack("!BBQ", 0x81, 127, size)


def frame_text(message: bytes) -> str:
    """The text a frame made by ``frame`` carries (for servers without the frame extension)."""
    length = message[1]
    start = 2 if length < 126 else 4 if length == 126 else 10
    return message[start:].decode()


def decode(raw: str | bytes) -> tuple[str, Any] | None:
    """The event name and payload, or None when the message is not one of ours."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None
    return message["event"], message.get("payload")
