"""The WebSocket protocol as spec/openapi.yaml declares it (``x-websocket``): every client event
decoded from its schema at the one dispatcher, Neko's drop-and-log for a payload that does not
decode, and the check every test client runs on what the server sends."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from nekoapi.services import Services
from nekoapi.ws import declared as declared_module
from nekoapi.ws.declared import Declaration, declaration, json_schema
from nekoapi.ws.decoding import Decoder, MalformedPayload, decoders, mismatches
from nekoapi.ws.messages import ClientMessages
from nekoapi.ws.payloads import CLASSES, ControlKey, IceCandidateInit, SignalRequest
from tests.support.events import violation
from tests.support.factory import make_config
from tests.unit.test_room import Room, _stop_rooms  # noqa: F401  (the fixture stops the rooms started here)

# --- the declaration and the classes ---


def test_every_declared_client_event_has_exactly_one_handler() -> None:
    services = Services(make_config())
    assert services.client_messages.events() == set(declaration().client)


def test_a_handler_for_an_undeclared_event_is_refused_at_start() -> None:
    services = Services(make_config())

    async def handler(session: object, payload: object) -> None:
        return None

    with pytest.raises(ValueError, match=r"not declared in spec/openapi.yaml x-websocket: \['automation/poke'\]"):
        services.client_messages.extend({"automation/poke": handler})
    with pytest.raises(ValueError, match="handled twice"):
        services.client_messages.extend({"control/move": handler})


def test_the_payload_classes_are_their_schemas() -> None:
    assert mismatches() == []
    assert all(name in declaration().components for name in CLASSES)


def test_a_class_that_drifts_from_its_schema_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class ControlPos:  # `y` is required in the schema; `z` is no property
        x: int
        y: int = 0
        z: int = 0

    monkeypatch.setitem(CLASSES, "ControlPos", ControlPos)
    assert sorted(mismatches()) == [
        "payloads.py ControlPos: field 'y': required in the schema",
        "payloads.py ControlPos: field 'z' is not a property",
    ]


def test_the_index_check_names_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    assert declared_module.problems() == []
    spec = declared_module.raw_spec()
    broken = {
        **spec,
        "x-websocket": {
            "client": {
                "a/b": {"summary": "x", "payload": {"$ref": "#/components/schemas/NoSuchSchema"}},
                "nameless": {"summary": "x", "colour": "red"},
                "c/d": {},
            },
            "server": {"e/f": {"summary": "no recipients"}},
        },
    }
    monkeypatch.setattr(declared_module, "raw_spec", lambda: broken)
    assert declared_module.problems() == [
        "x-websocket client a/b: payload must be a $ref to #/components/schemas/<name>",
        "x-websocket client nameless: unknown key 'colour'",
        "x-websocket client nameless: an event is named <area>/<name>",
        "x-websocket client c/d: needs a summary",
        "x-websocket server e/f: a server event says who receives it (`to`)",
    ]


def test_openapi_nullable_becomes_a_null_type() -> None:
    components = {
        "Flag": {"type": "boolean", "nullable": True},
        "Kind": {"type": "string", "enum": ["a"], "nullable": True},
    }
    refs = {"flag": {"$ref": "#/components/schemas/Flag"}, "kind": {"$ref": "#/components/schemas/Kind"}}
    schema = {"type": "object", "properties": refs}
    assert json_schema(schema, components)["properties"] == {
        "flag": {"type": ["boolean", "null"]},
        "kind": {"type": ["string", "null"], "enum": ["a", None]},
    }


# --- decoding ---


def test_payloads_decode_into_their_classes() -> None:
    decode = decoders()
    request = decode["signal/request"]({"video": {"selector": {"type": "lower", "id": "main"}}, "audio": None})
    assert isinstance(request, SignalRequest)
    assert request.video is not None and request.video.selector is not None
    assert (request.video.selector.type, request.video.selector.id, request.audio) == ("lower", "main", None)
    candidate = decode["signal/candidate"]({"candidate": "candidate:1 1 udp 1 1.2.3.4 5 typ host", "sdpMid": "0"})
    assert candidate == IceCandidateInit("candidate:1 1 udp 1 1.2.3.4 5 typ host", "0", None, None)
    # Fields the schema does not name are ignored, as Neko's decoder ignores them.
    assert decode["control/keydown"]({"keysym": 65, "x": 3, "unknown": [1]}) == ControlKey(65, 3, None)


def test_a_null_or_absent_payload_reads_as_empty() -> None:
    decode = decoders()
    assert decode["signal/request"](None) == SignalRequest()
    assert decode["system/logs"](None) == ()
    with pytest.raises(MalformedPayload, match='"keysym" is a required property'):
        decode["control/keydown"](None)
    assert decode["control/release"]({"ignored": True}) is None  # an event without a payload


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("control/move", {"x": "10", "y": 2}, "x: type 'integer'"),
        ("control/move", {"x": 1.5, "y": 2}, "x: type 'integer'"),
        ("control/move", {"x": True, "y": 2}, "x: type 'integer'"),
        ("control/scroll", {"delta_y": 101}, "delta_y: maximum 100"),
        ("control/buttonpress", {"code": 0}, "code: minimum 1"),
        ("screen/set", {"width": 5000, "height": 600}, "width: maximum 4096"),
        ("keyboard/modifiers", {"shift": "yes"}, "shift: type ['boolean', 'null']"),
        ("signal/video", {"selector": {"type": "sideways"}}, "selector/type: enum"),
        ("send/unicast", {"subject": "hi"}, 'payload: "receiver" is a required property'),
        ("system/logs", {"level": "info", "message": "one line, not a list"}, "payload: type 'array'"),
        ("chat/message", "hello", "payload: type 'object'"),
    ],
)
def test_a_payload_that_breaks_its_schema_says_where_and_which_rule(event: str, payload: Any, reason: str) -> None:
    with pytest.raises(MalformedPayload) as failure:
        decoders()[event](payload)
    assert str(failure.value).startswith(reason)


def test_the_reason_never_repeats_the_value() -> None:
    with pytest.raises(MalformedPayload) as failure:
        decoders()["clipboard/set"]({"text": ["hunter2"]})
    assert "hunter2" not in str(failure.value)


def test_a_schema_without_a_class_of_ours_still_decodes_into_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new event needs its spec entry and a handler: its payload class is made from the schema."""
    components = {
        **declaration().components,
        "HandoverRequest": {
            "type": "object",
            "additionalProperties": True,
            "required": ["to"],
            "properties": {"to": {"type": "string"}, "note": {"type": "string"}},
        },
    }
    index = {"summary": "x", "payload": {"$ref": "#/components/schemas/HandoverRequest"}}
    event = declared_module._declared("automation/handover", "client", index, components)
    decode = Decoder(event, Declaration({}, {}, components))
    payload = decode({"to": "bob", "extra": 1})
    assert (type(payload).__name__, payload.to, payload.note) == ("HandoverRequest", "bob", None)
    with pytest.raises(MalformedPayload):
        decode({"note": "no one to hand over to"})


# --- Neko's behaviour for what does not decode, the same for every event ---

MALFORMED = [
    ("control/move", {"x": -1, "y": 0}),
    ("control/keypress", {"keysym": "a"}),
    ("screen/set", {"width": 1024}),
    ("keyboard/map", {"layout": 5}),
    ("clipboard/set", {"text": None}),
    ("send/unicast", {"receiver": 7, "subject": "x"}),
    ("send/broadcast", "not an object"),
    ("chat/message", {"text": None}),
    ("signal/answer", {}),
    ("signal/candidate", {"sdpMLineIndex": -1}),
    ("system/logs", {"message": "not a list"}),
]


@pytest.mark.parametrize(("event", "payload"), MALFORMED)
async def test_a_malformed_event_is_logged_and_dropped_and_the_socket_goes_on(
    event: str, payload: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """As Neko's handler/handler.go: the payload does not unmarshal, a warning names the event and the
    session, nothing is sent to anyone, and the next event is handled as usual."""
    room = Room(make_config())
    admin, admin_peer = await room.join("root", admin=True)
    bob, bob_peer = await room.join("bob")
    admin_peer.take(), bob_peer.take()
    caplog.set_level(logging.INFO, logger="nekoapi.ws.messages")
    await room.say(admin, event, payload)
    assert admin_peer.take() == [] and bob_peer.take() == []
    [record] = [r for r in caplog.records if r.name == "nekoapi.ws.messages"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(f"ignored websocket {event} from session {admin.id}: ")
    await room.say(admin, "send/unicast", {"receiver": bob.id, "subject": "still here"})
    relayed = {"sender": admin.id, "receiver": bob.id, "subject": "still here", "body": None}
    assert bob_peer.take() == [("send/unicast", relayed)]


async def test_not_an_event_and_unknown_events_get_the_same_treatment(caplog: pytest.LogCaptureFixture) -> None:
    room = Room(make_config())
    alice, peer = await room.join("alice")
    peer.take()
    caplog.set_level(logging.INFO, logger="nekoapi.ws.messages")
    messages: ClientMessages = room.services.client_messages
    for raw in (b"not json", b'{"event": 5}', b'{"event": "no/such", "payload": {}}'):
        await messages.handle(alice, raw)
    assert peer.take() == []
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"ignored a websocket message that is not an event from session {alice.id}"),
        (logging.WARNING, f"ignored a websocket message that is not an event from session {alice.id}"),
        (logging.WARNING, f"ignored unknown websocket event 'no/such' from session {alice.id}"),
    ]


async def test_a_valid_event_the_handler_cannot_carry_out_is_logged_as_failed(caplog: pytest.LogCaptureFixture) -> None:
    room = Room(make_config())
    alice, peer = await room.join("alice")
    peer.take()
    caplog.set_level(logging.INFO, logger="nekoapi.ws.messages")
    await room.say(alice, "signal/answer", {"sdp": "v=0"})  # no signal/request before: no peer
    assert peer.take() == []
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"websocket signal/answer from session {alice.id} failed: webrtc peer does not exist")
    ]


async def test_a_fault_in_a_handler_is_not_swallowed() -> None:
    """Anything but a refusal or an expected failure reaches the socket's loop, which logs it with
    its traceback at error (web/websocket.py)."""
    room = Room(make_config())
    alice, _peer = await room.join("alice")

    async def broken(session: object, payload: object) -> None:
        raise RuntimeError("a bug")

    room.services.client_messages._table["client/heartbeat"] = (broken, decoders()["client/heartbeat"])
    with pytest.raises(RuntimeError, match="a bug"):
        await room.say(alice, "client/heartbeat")


# --- the check every test client runs on what the server sends ---


def test_server_events_are_checked_against_their_schemas() -> None:
    line = {"id": "a", "created": "2024-05-01T10:00:00Z", "content": {"text": "hi"}}
    good = {"event": "chat/message", "payload": line}
    assert violation(good) is None
    assert violation({"event": "system/heartbeat", "payload": None}) is None
    assert violation({"event": "nobody/declared", "payload": {}}) == (
        "'nobody/declared' is not declared as a server event in spec/openapi.yaml x-websocket"
    )
    stray = {**line, "mood": "happy"}
    assert "Additional properties are not allowed ('mood' was unexpected)" in str(
        violation({"event": "chat/message", "payload": stray})
    )
    not_a_date = {**line, "created": "yesterday"}
    assert violation({"event": "chat/message", "payload": not_a_date}) == (
        "chat/message breaks its schema ChatMessage: created: format 'date-time'"
    )
    assert violation({"event": "system/heartbeat", "payload": {}}) is not None  # declared without a payload
    assert violation({"event": "control/move"}) is not None  # no payload key: not Neko's envelope
