"""Neko v2's shapes, built from the room's v3 ones: its member, its locks, its screen sizes, its
file list and ICE servers (Neko's ``server/internal/http/legacy/types/types.go`` and the helpers
of its ``wstoclient.go``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from ..models import MemberProfile, Settings
from ..plugins.permissions import flag

V2Message = dict[str, Any]  # flat: {"event": name, ...fields}


def message(event: str, **fields: Any) -> V2Message:
    return {"event": event, **fields}


def member(session_id: str, profile: MemberProfile) -> dict[str, Any]:
    """v2's member: muted is a profile that may not send chat messages."""
    return {
        "id": session_id,
        "displayname": profile.name,
        "admin": profile.is_admin,
        "muted": not flag(profile.plugins, "chat.can_send"),
    }


def member_of(session_id: str, profile: Mapping[str, Any]) -> dict[str, Any]:
    """``member`` from a profile as v3 events carry it (a JSON object)."""
    return member(session_id, MemberProfile.from_dict(dict(profile)))


def locks(settings: Settings) -> dict[str, str]:
    """v2's locks, resource -> who locked it; v3 settings do not say who, so it is empty (as in Neko)."""
    return {resource: "" for resource, on in lock_states(settings).items() if on}


def lock_states(settings: Settings) -> dict[str, bool]:
    """Each v2 lock, on or off: file transfer is locked when the room's plugin setting turns it off."""
    return {
        "control": settings.locked_controls,
        "login": settings.locked_logins,
        "file_transfer": not flag(settings.plugins, "filetransfer.enabled"),
    }


def screen_configurations(sizes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """v2's sizes: one entry per width x height, keyed by the index of its first appearance, with
    its rates (index -> rate) gathered from every entry of that size."""
    sizes = list(sizes)
    rates: dict[tuple[int, int], list[int]] = {}
    for size in sizes:
        seen = rates.setdefault((size["width"], size["height"]), [])
        if size["rate"] not in seen:
            seen.append(size["rate"])
    found: dict[str, Any] = {}
    for index, size in enumerate(sizes):
        key = (size["width"], size["height"])
        if key in rates:
            rates_of = {str(i): rate for i, rate in enumerate(rates.pop(key))}
            found[str(index)] = {"width": key[0], "height": key[1], "rates": rates_of}
    return found


def resolution(size: Mapping[str, Any], session_id: str = "") -> dict[str, Any]:
    """v2's screen size; ``id`` (who switched it) only when there is one, as Go's omitempty."""
    fields = {"width": size["width"], "height": size["height"], "rate": size["rate"]}
    return {"id": session_id, **fields} if session_id else fields


def file_list(files: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": f["name"], "type": f["type"], "size": f.get("size", 0)} for f in files]


def ice_servers(servers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pion's ICEServer as JSON: ``urls``, then ``username`` and ``credential`` when set."""
    found = []
    for server in servers:
        entry: dict[str, Any] = {"urls": list(server["urls"])}
        entry.update({k: server[k] for k in ("username", "credential") if server.get(k)})
        found.append(entry)
    return found


def candidate_json(candidate: Mapping[str, Any]) -> str:
    """pion's ICECandidateInit as JSON text, the v2 ``data`` field (absent fields are null)."""
    keys = ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")
    return orjson.dumps({k: candidate.get(k, "" if k == "candidate" else None) for k in keys}).decode()
