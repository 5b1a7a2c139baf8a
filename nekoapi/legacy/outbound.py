"""The room's v3 events, told to one v2 client in v2's words (Neko's
``server/internal/http/legacy/wstoclient.go``).

A v2 socket's translator remembers what v2 needs and v3 does not say: who got control last (v2
tells a take-over and a hand-over apart), which locks it was told, and which members it has
announced (v2 announces a member once it is connected and named). Events v2 has no word for
are dropped, as Neko drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models import Settings
from ..sessions import reasons
from . import shapes
from .shapes import V2Message, message

log = logging.getLogger(__name__)

Translate = Callable[[Any], list[V2Message]]
KICKED = "kicked"  # what v2 clients are told when an administrator kicked them


@dataclass
class _Known:
    """A member as this client knows it: ``sent`` once ``member/connected`` went out."""

    member: dict[str, Any]
    connected: bool = False
    sent: bool = False


class ToClient:
    def __init__(self, session_id: str, name: str, file_transfer: bool) -> None:
        self.session_id = session_id
        self.name = name  # the session's name; set by the first signal/answer naming it
        self._file_transfer = file_transfer
        self._last_host_id = ""
        self._locked = {"control": False, "login": False, "file_transfer": False}
        self._members: dict[str, _Known] = {}
        self._table: dict[str, Translate] = {
            "system/init": self._init,
            "system/admin": self._admin,
            "system/settings": self._settings,
            "system/disconnect": lambda p: [disconnect(p["message"])],
            "session/created": self._created,
            "session/deleted": self._deleted,
            "session/profile": self._profile,
            "session/state": self._state,
            "control/host": self._control_host,
            "control/request": self._control_request,
            **_SIGNALS,
            "signal/provide": self._provide,
            "signal/answer": lambda p: [message("signal/answer", displayname=self.name, sdp=p["sdp"])],
            **_PLAIN,
        }

    def translate(self, event: str, payload: Any) -> list[V2Message]:
        translate = self._table.get(event)
        return [] if translate is None else translate(payload)

    # --- system ---

    def _init(self, p: Mapping[str, Any]) -> list[V2Message]:
        # Sessions not connected yet are remembered too (Neko's layer forgets them, and never
        # announces one that connects later).
        self._members = {}
        for session_id, data in p["sessions"].items():
            member, connected = shapes.member_of(session_id, data["profile"]), data["state"]["is_connected"]
            self._members[session_id] = _Known(member, connected, sent=connected and member["displayname"] != "")
        settings = Settings(**p["settings"])
        for resource, on in shapes.lock_states(settings).items():
            self._locked[resource] = self._locked[resource] or on  # Neko only ever sets them here
        return [
            message("member/list", members=[known.member for known in self._members.values() if known.connected]),
            message("screen/resolution", **shapes.resolution(p["screen_size"])),
            *self._control_host(p["control_host"]),
            message(
                "system/init",
                locks=shapes.locks(settings),
                implicit_hosting=settings.implicit_hosting,
                file_transfer=self._file_transfer,
                heartbeat_interval=settings.heartbeat_interval,
            ),
        ]

    def _admin(self, p: Mapping[str, Any]) -> list[V2Message]:
        status = p["broadcast_status"]
        return [
            message("screen/configurations", configurations=shapes.screen_configurations(p["screen_sizes_list"])),
            message("broadcast/status", url=status.get("url", ""), isActive=status["is_active"]),
        ]

    def _settings(self, p: Mapping[str, Any]) -> list[V2Message]:
        fields = {k: v for k, v in p.items() if k != "id"}
        found = []
        for resource, on in shapes.lock_states(Settings(**fields)).items():
            if self._locked[resource] != on:
                self._locked[resource] = on
                found.append(message("admin/lock" if on else "admin/unlock", resource=resource, id=p["id"]))
        return found

    # --- members ---

    def _created(self, p: Mapping[str, Any]) -> list[V2Message]:
        self._members[p["id"]] = _Known(shapes.member_of(p["id"], p["profile"]))  # told once connected
        return []

    def _deleted(self, p: Mapping[str, Any]) -> list[V2Message]:
        if self._members.pop(p["id"], None) is None:
            return []  # told already, when it disconnected
        return [message("member/disconnected", id=p["id"])]

    def _profile(self, p: Mapping[str, Any]) -> list[V2Message]:
        known = self._members.get(p["id"])
        if known is None:
            return []
        member = shapes.member_of(p["id"], {k: v for k, v in p.items() if k != "id"})
        muted_changed, known.member = known.member["muted"] != member["muted"], member
        found = []
        if known.connected and not known.sent and member["displayname"]:
            known.sent = True
            found.append(message("member/connected", **member))
        if muted_changed:
            found.append(message("admin/mute" if member["muted"] else "admin/unmute", target=p["id"], id=""))
        return found

    def _state(self, p: Mapping[str, Any]) -> list[V2Message]:
        known = self._members.get(p["id"])
        if known is None:
            return []
        if not p["is_connected"]:
            del self._members[p["id"]]
            return [message("member/disconnected", id=p["id"])]
        known.connected = True
        found = [message("admin/mute", target=p["id"], id="")] if known.member["muted"] else []
        if not known.sent and known.member["displayname"]:
            known.sent = True
            found.append(message("member/connected", **known.member))
        return found

    # --- control ---

    def _control_host(self, p: Mapping[str, Any]) -> list[V2Message]:
        """v2 tells apart a take-over, a hand-over and a release by whom it saw change the host last
        (Neko's ``sendControlHost``, whose quirks are kept: it remembers who changed it, not the host)."""
        last, changed_by = self._last_host_id, p.get("id", "")
        if p["has_host"]:
            host_id = p["host_id"]
            self._last_host_id = changed_by
            if changed_by == host_id and last not in ("", changed_by):
                return [message("admin/control", id=changed_by, target=last)]
            if changed_by in ("", host_id):
                return [message("control/locked", id=host_id)]
            return [message("control/give", id=changed_by, target=host_id)]
        if not changed_by:
            return []
        self._last_host_id = ""
        return [message("control/release" if changed_by == last else "admin/release", id=changed_by)]

    def _control_request(self, p: Mapping[str, Any]) -> list[V2Message]:
        return [message("control/request" if p["id"] == self.session_id else "control/requesting", id=p["id"])]

    # --- media ---

    def _provide(self, p: Mapping[str, Any]) -> list[V2Message]:
        ice = shapes.ice_servers(p["iceservers"])
        return [message("signal/provide", id=self.session_id, sdp=p["sdp"], lite=not ice, ice=ice)]


def disconnect(reason: str) -> V2Message:
    """v2's goodbye; a kick is a profile change in v3 (Neko's legacy layer words it so)."""
    return message("system/disconnect", title="", message=KICKED if reason == reasons.PROFILE_CHANGED else reason)


def _emote(p: Mapping[str, Any]) -> list[V2Message]:
    if p["subject"] != "emote" or not isinstance(p["body"], str):
        return []
    return [message("chat/emote", id=p["sender"], emote=p["body"])]


def _files(p: Mapping[str, Any]) -> list[V2Message]:
    flags = {k: p[k] for k in ("user_download", "user_upload", "user_delete")}
    return [message("filetransfer/list", cwd=p["root_dir"], **flags, files=shapes.file_list(p["files"]))]


_SIGNALS: dict[str, Translate] = {
    "signal/offer": lambda p: [message("signal/offer", sdp=p["sdp"])],
    "signal/candidate": lambda p: [message("signal/candidate", data=shapes.candidate_json(p))],
}

# Events whose v2 form needs nothing remembered.
_PLAIN: dict[str, Translate] = {
    "clipboard/updated": lambda p: [message("control/clipboard", text=p["text"])],
    "chat/message": lambda p: [message("chat/message", id=p["id"], content=p["content"]["text"])],
    "send/broadcast": _emote,
    "filetransfer/update": _files,
    "openinapp/init": lambda p: [message("openinapp/init", enabled=p["enabled"])],
    "screen/updated": lambda p: [message("screen/resolution", **shapes.resolution(p, p["id"]))],
    "broadcast/status": lambda p: [message("broadcast/status", url=p.get("url", ""), isActive=p["is_active"])],
}
