"""The v3 -> v2 translation on its own, case by case as Neko's ``wstoclient.go`` decides them
(``sendControlHost``, the lock diffs, the member bookkeeping, ``screenConfigurations``)."""

from __future__ import annotations

import struct

import orjson
import pytest

from nekoapi.legacy import shapes
from nekoapi.legacy.outbound import ToClient
from nekoapi.media.legacy_input import parse
from nekoapi.models import MemberProfile, Settings
from nekoapi.services import Services
from nekoapi.sessions import rules
from nekoapi.sessions.session import Session
from nekoapi.ws.declared import V2_INDEX, declaration
from tests.support.factory import make_config

ME = "me-1"


def host(changed_by: str, host_id: str | None) -> dict[str, object]:
    return {"id": changed_by, "has_host": host_id is not None, **({"host_id": host_id} if host_id else {})}


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # someone takes control, then releases it
        ([host("a", "a"), host("a", None)], [("control/locked", "a", None), ("control/release", "a", None)]),
        # a gives to b; b releases: Neko's layer last saw a change it, so v2 hears admin/release
        (
            [host("a", "a"), host("a", "b"), host("b", None)],
            [("control/locked", "a", None), ("control/give", "a", "b"), ("admin/release", "b", None)],
        ),
        # an administrator takes over from the one it saw change the host last
        ([host("a", "a"), host("x", "x")], [("control/locked", "a", None), ("admin/control", "x", "a")]),
        # the host as system/init tells it (nobody changed it)
        ([host("", "a")], [("control/locked", "a", None)]),
        # a release by nobody known says nothing
        ([host("", None)], []),
    ],
)
def test_control_host_as_neko_tells_it(steps: list[dict[str, object]], expected: list[tuple[str, str, str]]) -> None:
    translator = ToClient(ME, "me", file_transfer=False)
    told = [m for step in steps for m in translator.translate("control/host", step)]
    assert [(m["event"], m["id"], m.get("target")) for m in told] == expected


def test_locks_are_told_when_they_change_only() -> None:
    translator = ToClient(ME, "me", file_transfer=False)
    settings = Settings().to_dict()
    assert translator.translate("system/settings", {"id": "x", **settings}) == []
    locked = {**settings, "locked_controls": True, "plugins": {"filetransfer.enabled": False}}
    told = translator.translate("system/settings", {"id": "x", **locked})
    assert told == [
        {"event": "admin/lock", "resource": "control", "id": "x"},
        {"event": "admin/lock", "resource": "file_transfer", "id": "x"},
    ]
    assert translator.translate("system/settings", {"id": "y", **locked}) == []


def test_a_member_is_announced_once_connected_and_named() -> None:
    translator = ToClient(ME, "me", file_transfer=False)
    profile = {"name": "", "is_admin": False, "plugins": {}}
    assert translator.translate("session/created", {"id": "b", "profile": profile, "state": {}}) == []
    assert translator.translate("session/state", {"id": "b", "is_connected": True}) == []  # no name yet
    told = translator.translate("session/profile", {"id": "b", **profile, "name": "bob"})
    assert told == [{"event": "member/connected", "id": "b", "displayname": "bob", "admin": False, "muted": False}]
    muted = translator.translate(
        "session/profile", {"id": "b", **profile, "name": "bob", "plugins": {"chat.can_send": False}}
    )
    assert muted == [{"event": "admin/mute", "target": "b", "id": ""}]
    assert translator.translate("session/state", {"id": "b", "is_connected": False}) == [
        {"event": "member/disconnected", "id": "b"}
    ]
    assert translator.translate("session/deleted", {"id": "b"}) == []  # told already


def test_control_request_tells_the_host_who_asks() -> None:
    translator = ToClient(ME, "me", file_transfer=False)
    assert translator.translate("control/request", {"id": "b"}) == [{"event": "control/requesting", "id": "b"}]
    assert translator.translate("control/request", {"id": ME}) == [{"event": "control/request", "id": ME}]


def test_events_v2_has_no_word_for_are_dropped() -> None:
    translator = ToClient(ME, "me", file_transfer=False)
    for event in ("system/heartbeat", "signal/video", "signal/close", "chat/init", "session/cursors"):
        assert translator.translate(event, None) == []
    assert translator.translate("send/broadcast", {"sender": "b", "subject": "other", "body": "x"}) == []


def test_screen_configurations_group_rates_by_size() -> None:
    sizes = [
        {"width": 1920, "height": 1080, "rate": 60},
        {"width": 1920, "height": 1080, "rate": 30},
        {"width": 1280, "height": 720, "rate": 30},
    ]
    assert shapes.screen_configurations(sizes) == {
        "0": {"width": 1920, "height": 1080, "rates": {"0": 60, "1": 30}},
        "2": {"width": 1280, "height": 720, "rates": {"0": 30}},
    }


def test_candidates_and_ice_servers_as_pion_writes_them() -> None:
    data = shapes.candidate_json({"candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host", "sdpMid": "0"})
    assert orjson.loads(data) == {
        "candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": None,
        "usernameFragment": None,
    }
    servers = [{"urls": ["stun:a"]}, {"urls": ["turn:b"], "username": "u", "credential": "c"}]
    assert shapes.ice_servers(servers) == [
        {"urls": ["stun:a"]},
        {"urls": ["turn:b"], "username": "u", "credential": "c"},
    ]


def test_the_v2_data_channel_as_legacyhandler_go_reads_it() -> None:
    assert parse(struct.pack("<BHHH", 1, 4, 300, 200)) == ("move", 300, 200)
    assert parse(struct.pack("<BHhh", 2, 4, -3, 5)) == ("scroll", -3, 5)
    assert parse(struct.pack("<BHQ", 3, 8, 1)) == ("down", 1, 0)  # a button (below 8)
    assert parse(struct.pack("<BHQ", 4, 8, 0xFF0D)) == ("up", 0xFF0D, 0)  # a keysym
    assert parse(struct.pack("<BHQ", 5, 8, 1)) is None  # KEY_CLK: unused
    assert parse(b"\x01\x04\x00") is None and parse(b"") is None


@pytest.mark.parametrize(
    ("profile", "settings", "host_id", "allowed"),
    [
        (MemberProfile(), Settings(), "s", True),
        (MemberProfile(), Settings(), None, False),
        (MemberProfile(), Settings(implicit_hosting=True), None, True),
        (MemberProfile(can_host=False), Settings(implicit_hosting=True), "s", False),
        (MemberProfile(), Settings(locked_controls=True), "s", False),
        (MemberProfile(is_admin=True), Settings(locked_controls=True), "s", True),
        (MemberProfile(), Settings(private_mode=True), "s", False),
    ],
)
def test_whose_v2_input_reaches_the_desktop(
    profile: MemberProfile, settings: Settings, host_id: str | None, allowed: bool
) -> None:
    assert rules.v2_input_allowed(Session("s", b"", profile), host_id, settings) is allowed


def test_every_declared_v2_client_event_is_done() -> None:
    services = Services(make_config())
    assert services.legacy.inbound.events() == set(declaration(V2_INDEX).client)


def test_every_v2_event_forwarded_to_the_room_is_a_declared_v3_client_event() -> None:
    """What the layer hands the room's dispatcher is what /api/ws clients may send."""
    services = Services(make_config())
    forwarded = {
        "signal/request", "signal/offer", "signal/answer", "signal/video", "signal/candidate",
        "control/request", "control/release", "clipboard/set", "keyboard/map", "keyboard/modifiers",
        "chat/message", "send/broadcast", "filetransfer/update", "screen/set",
    }  # fmt: skip
    assert forwarded <= services.client_messages.events()
