"""Typed payloads of the events clients send, one class per payload schema in ``spec/openapi.yaml``.

The dispatcher validates a payload against its schema, then builds one of these from it
(``decoding.py``): a handler reads typed fields and checks no shapes. A class is named as its
schema, and its fields are the schema's properties (``decoding.mismatches`` holds them together,
in ``make lint`` and the tests); a required property has no default. A payload schema without a
class here is decoded into a dataclass made from its properties, so a new event needs only its
spec entry and a handler.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def json_named(name: str) -> Any:
    """An optional field whose JSON name is not a Python-style name."""
    return field(default=None, metadata={"json": name})


# --- signalling ---


@dataclass(frozen=True, slots=True)
class StreamSelector:
    type: str = ""
    id: str = ""
    bitrate: int = 0


@dataclass(frozen=True, slots=True)
class PeerVideoRequest:
    disabled: bool | None = None
    selector: StreamSelector | None = None
    auto: bool | None = None


@dataclass(frozen=True, slots=True)
class PeerAudioRequest:
    disabled: bool | None = None


@dataclass(frozen=True, slots=True)
class SignalRequest:
    video: PeerVideoRequest | None = None
    audio: PeerAudioRequest | None = None
    auto: bool = False


@dataclass(frozen=True, slots=True)
class SignalDescription:
    sdp: str


@dataclass(frozen=True, slots=True)
class IceCandidateInit:
    candidate: str = ""
    sdp_mid: str | None = json_named("sdpMid")
    sdp_mline_index: int | None = json_named("sdpMLineIndex")
    username_fragment: str | None = json_named("usernameFragment")


# --- desktop input ---


@dataclass(frozen=True, slots=True)
class ControlPos:
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class ControlScroll:
    delta_x: int = 0
    delta_y: int = 0
    x: int = 0
    y: int = 0
    control_key: bool = False


@dataclass(frozen=True, slots=True)
class ControlButton:
    code: int
    x: int | None = None
    y: int | None = None


@dataclass(frozen=True, slots=True)
class ControlKey:
    keysym: int
    x: int | None = None
    y: int | None = None


@dataclass(frozen=True, slots=True)
class ControlTouch:
    touch_id: int = 0
    x: int = 0
    y: int = 0
    pressure: int = 0


@dataclass(frozen=True, slots=True)
class ClipboardData:
    text: str = ""


@dataclass(frozen=True, slots=True)
class ScreenSizeRequest:
    width: int
    height: int
    rate: int = 0


@dataclass(frozen=True, slots=True)
class KeyboardMapRequest:
    layout: str = ""
    variant: str = ""


@dataclass(frozen=True, slots=True)
class KeyboardModifiersRequest:
    shift: bool | None = None
    capslock: bool | None = None
    control: bool | None = None
    alt: bool | None = None
    numlock: bool | None = None
    meta: bool | None = None
    super: bool | None = None
    altgr: bool | None = None

    def changes(self) -> dict[str, bool | None]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


# --- messages between sessions, chat, client logs ---


@dataclass(frozen=True, slots=True)
class SendUnicastRequest:
    receiver: str
    subject: str = ""
    body: Any = None


@dataclass(frozen=True, slots=True)
class SendBroadcastRequest:
    subject: str = ""
    body: Any = None


@dataclass(frozen=True, slots=True)
class ChatMessageRequest:
    text: str


@dataclass(frozen=True, slots=True)
class SystemLog:
    level: str = "info"
    message: str = ""
    fields: dict[str, Any] | None = None


SystemLogs = tuple[SystemLog, ...]

CLASSES: dict[str, Any] = {
    cls.__name__: cls
    for cls in (
        StreamSelector, PeerVideoRequest, PeerAudioRequest, SignalRequest, SignalDescription, IceCandidateInit,
        ControlPos, ControlScroll, ControlButton, ControlKey, ControlTouch, ClipboardData, ScreenSizeRequest,
        KeyboardMapRequest, KeyboardModifiersRequest, SendUnicastRequest, SendBroadcastRequest,
        ChatMessageRequest, SystemLog,
    )
} | {"SystemLogs": SystemLogs}  # fmt: skip
