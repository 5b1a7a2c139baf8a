"""Wire format of the session WebSocket: ``{"event": name, "payload": object}``."""

from __future__ import annotations

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

# Reasons a server-side close gives in ``system/disconnect``.
REASON_DISCONNECTED = "session disconnected"
REASON_DELETED = "session deleted"
REASON_PROFILE_CHANGED = "profile changed"
REASON_REPLACED = "connection replaced"
REASON_ALREADY_CONNECTED = "already connected"
REASON_CONNECTION_DISABLED = "connection disabled"
REASON_TOO_SLOW = "connection too slow"
REASON_TOO_LARGE = "message too large"
REASON_FLOODING = "too many messages"
REASON_SHUTDOWN = "server shutdown"


def encode(event: str, payload: Any) -> str:
    return orjson.dumps({"event": event, "payload": payload}).decode()


def decode(raw: str | bytes) -> tuple[str, Any] | None:
    """The event name and payload, or None when the message is not one of ours."""
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None
    return message["event"], message.get("payload")
