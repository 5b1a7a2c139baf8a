"""x-websocket-v2 says what Neko's Go structs say: the fields of each server message, as
``server/internal/http/legacy/message/messages.go`` and ``types/types.go`` define them (written
out here from the structs' json tags; ``omitempty`` fields are the optional ones). Every message a
test client receives is checked against the spec (tests/legacy/v2client.py), so the server sends
these shapes."""

from __future__ import annotations

import pytest

from nekoapi.ws.declared import V2_INDEX, declaration

# struct -> (json fields, of which omitempty); without the Event field every struct has
GO_STRUCTS = {
    "SystemInit": ({"locks", "implicit_hosting", "file_transfer", "heartbeat_interval"}, set()),
    "SystemMessage": ({"title", "message"}, set()),
    "SignalProvide": ({"id", "sdp", "lite", "ice"}, set()),
    "SignalOffer": ({"sdp"}, set()),
    "SignalAnswer": ({"displayname", "sdp"}, set()),
    "SignalCandidate": ({"data"}, set()),
    "MembersList": ({"members"}, set()),
    "Member": ({"id", "displayname", "admin", "muted"}, set()),  # *types.Member embedded
    "MemberDisconnected": ({"id"}, set()),
    "Clipboard": ({"text"}, set()),
    "Control": ({"id"}, set()),
    "ControlTarget": ({"id", "target"}, set()),
    "ChatSend": ({"id", "content"}, set()),
    "EmoteSend": ({"id", "emote"}, set()),
    "FileTransferList": ({"cwd", "user_download", "user_upload", "user_delete", "files"}, set()),
    "AdminTarget": ({"target", "id"}, set()),
    "AdminLock": ({"resource", "id"}, set()),
    "ScreenResolution": ({"id", "width", "height", "rate"}, {"id"}),
    "ScreenConfigurations": ({"configurations"}, set()),
    "BroadcastStatus": ({"url", "isActive"}, set()),
}

# server event -> the struct Neko's wstoclient.go / wstobackend.go sends it as
SENT_AS = {
    "system/init": "SystemInit",
    "system/disconnect": "SystemMessage",
    "system/error": "SystemMessage",
    "signal/provide": "SignalProvide",
    "signal/offer": "SignalOffer",
    "signal/answer": "SignalAnswer",
    "signal/candidate": "SignalCandidate",
    "member/list": "MembersList",
    "member/connected": "Member",
    "member/disconnected": "MemberDisconnected",
    "control/locked": "Control",
    "control/release": "Control",
    "control/request": "Control",
    "control/requesting": "Control",
    "control/give": "ControlTarget",
    "control/clipboard": "Clipboard",
    "chat/message": "ChatSend",
    "chat/emote": "EmoteSend",
    "filetransfer/list": "FileTransferList",
    "screen/resolution": "ScreenResolution",
    "screen/configurations": "ScreenConfigurations",
    "broadcast/status": "BroadcastStatus",
    "admin/lock": "AdminLock",
    "admin/unlock": "AdminLock",
    "admin/control": "AdminTarget",
    "admin/release": "Control",
    "admin/mute": "AdminTarget",
    "admin/unmute": "AdminTarget",
}


@pytest.mark.parametrize("event", sorted(SENT_AS))
def test_each_server_message_has_the_fields_of_its_go_struct(event: str) -> None:
    declared = declaration(V2_INDEX).server[event]
    assert declared.schema is not None
    fields, optional = GO_STRUCTS[SENT_AS[event]]
    assert set(declared.schema["properties"]) == fields
    assert set(declared.schema.get("required", [])) == fields - optional
    assert declared.schema.get("additionalProperties") is False


def test_every_declared_server_message_is_one_neko_sends() -> None:
    # openinapp/init is the plugin's own struct (``{enabled}``), sent as Neko's layer sends it.
    assert set(declaration(V2_INDEX).server) == set(SENT_AS) | {"openinapp/init"}
