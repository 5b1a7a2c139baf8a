"""What a v2 client sends, done on the room (Neko's ``server/internal/http/legacy/wstobackend.go``).

Neko's layer turns each v2 message into a v3 event on its second socket, or into a call of the
v3 HTTP API. Both are kept apart here, because they answer refusals differently: a forwarded
event is refused silently (as the v3 socket refuses it), a call's refusal comes back as
``system/error`` ("backend response error", and the refusal's message). The calls check what
the spec's ``x-nekoapi-access`` says of the operation they stand for (``CALLS``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from .. import errors
from ..models import MemberProfile
from ..sessions.session import Session
from ..ws.declared import V2_INDEX, declaration
from .room import V2Client, V2Room
from .shapes import message, screen_configurations

log = logging.getLogger(__name__)

Handler = Callable[[V2Client, dict[str, Any]], Awaitable[None]]
BACKEND_ERROR = "backend response error"  # the title of a refused call, as Neko's layer words it
LEGACY_VIDEO = {"selector": {"type": "exact", "id": "legacy"}}  # the stream Neko's layer asks for first


class NotDone(Exception):
    """What Neko's layer only logs (an unknown session to ban): the client hears nothing."""


class ToRoom:
    def __init__(self, room: V2Room) -> None:
        self._room = room
        self._declared = declaration(V2_INDEX).client
        self._forwarded: dict[str, Handler] = {
            "client/heartbeat": self._nothing,
            "signal/offer": self._forward("signal/offer", lambda f: {"sdp": f["sdp"]}),
            "signal/candidate": self._candidate,
            "control/request": self._forward("control/request"),
            "control/release": self._forward("control/release"),
            "control/clipboard": self._forward("clipboard/set", lambda f: {"text": f["text"]}),
            "control/keyboard": self._keyboard,
            "chat/message": self._forward("chat/message", lambda f: {"text": f["content"]}),
            "chat/emote": self._emote,
            "filetransfer/refresh": self._forward("filetransfer/update"),
            "screen/set": self._forward("screen/set", lambda f: {**f, "rate": f.get("rate", 0)}),
        }
        calls: dict[str, Handler] = {
            "signal/answer": self._answer,
            "control/give": self._give,
            "openinapp/openlink": self._open_link,
            "screen/resolution": self._resolution,
            "screen/configurations": self._configurations,
            "broadcast/create": self._broadcast_create,
            "broadcast/destroy": self._broadcast_destroy,
            "admin/lock": self._lock(True),
            "admin/unlock": self._lock(False),
            "admin/control": lambda c, f: room.room.take_control(c.session),
            "admin/release": lambda c, f: room.room.reset_control(c.session),
            "admin/give": self._give,
            "admin/ban": self._ban,
            "admin/kick": self._kick,
            "admin/mute": self._chat(False),
            "admin/unmute": self._chat(True),
        }
        self._called = {event: _admin(call) if event in ADMIN_CALLS else call for event, call in calls.items()}

    def events(self) -> set[str]:
        return self._forwarded.keys() | self._called.keys()

    async def handle(self, client: V2Client, raw: str | bytes) -> None:
        decoded = self._decode(client.session, raw)
        if decoded is None:
            return
        event, fields = decoded
        forwarded = self._forwarded.get(event)
        if forwarded is not None:
            await forwarded(client, fields)
            return
        try:
            await self._called[event](client, fields)
        except errors.NekoError as exc:
            client.peer.reply(message("system/error", title=BACKEND_ERROR, message=exc.text))
        except NotDone as exc:
            log.warning("v2 %s from session %s not done: %s", event, client.session.id, exc)

    def _decode(self, session: Session, raw: str | bytes) -> tuple[str, dict[str, Any]] | None:
        """The event and its fields; None (logged) for what is no declared event, as Neko drops it."""
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict) or not isinstance(decoded.get("event"), str):
            log.warning("v2: ignored a message that is not an event from session %s", session.id)
            return None
        event = decoded.pop("event")
        declared = self._declared.get(event)
        if declared is None:
            log.warning("v2: ignored unknown event %r from session %s", event[:64], session.id)
            return None
        problem = declared.problem(decoded) if declared.schema_name else None
        if problem is not None:
            log.warning("v2: ignored %s from session %s: %s", event, session.id, problem)
            return None
        return event, decoded

    # --- forwarded as v3 events ---

    def _forward(self, event: str, payload: Callable[[dict[str, Any]], Any] = lambda f: None) -> Handler:
        async def forward(client: V2Client, fields: dict[str, Any]) -> None:
            await self._room.events.dispatch(client.session, event, payload(fields))

        return forward

    async def _nothing(self, client: V2Client, fields: dict[str, Any]) -> None:
        return None

    async def _candidate(self, client: V2Client, fields: dict[str, Any]) -> None:
        try:
            candidate = orjson.loads(fields["data"])
        except orjson.JSONDecodeError:
            log.warning("v2: ignored a signal/candidate that is not JSON from session %s", client.session.id)
            return
        await self._room.events.dispatch(client.session, "signal/candidate", candidate)

    async def _keyboard(self, client: V2Client, fields: dict[str, Any]) -> None:
        dispatch = self._room.events.dispatch
        if fields.get("layout") is not None:
            await dispatch(client.session, "keyboard/map", {"layout": fields["layout"]})
        if any(fields.get(k) is not None for k in ("capsLock", "numLock", "scrollLock")):
            locks = {"capslock": fields.get("capsLock"), "numlock": fields.get("numLock")}  # scroll lock: none in v3
            await dispatch(client.session, "keyboard/modifiers", {k: v for k, v in locks.items() if v is not None})

    async def _emote(self, client: V2Client, fields: dict[str, Any]) -> None:
        # The sender sees its own emote at once; everyone else through the room.
        client.peer.reply(message("chat/emote", id=client.session.id, emote=fields["emote"]))
        body = {"sender": client.session.id, "subject": "emote", "body": fields["emote"]}
        await self._room.events.dispatch(client.session, "send/broadcast", body)

    # --- calls of the room's operations ---

    async def _answer(self, client: V2Client, fields: dict[str, Any]) -> None:
        name = fields.get("displayname") or ""
        if name and not client.peer.translator.name:
            await self._room.sessions.change_own_profile(client.session, {"name": name})  # profileUpdate
            client.peer.translator.name = name
        await self._room.events.dispatch(client.session, "signal/video", LEGACY_VIDEO)  # refused: ignored
        await self._room.events.dispatch(client.session, "signal/answer", {"sdp": fields["sdp"]})

    async def _give(self, client: V2Client, fields: dict[str, Any]) -> None:
        await self._room.room.give_control(client.session, fields["id"])  # controlGive

    async def _open_link(self, client: V2Client, fields: dict[str, Any]) -> None:
        await self._room.openinapp.open_link(client.session, fields["text"])

    async def _resolution(self, client: V2Client, fields: dict[str, Any]) -> None:
        size = await self._room.desktop.screen_configuration(client.session)
        client.peer.reply(message("screen/resolution", **size))

    async def _configurations(self, client: V2Client, fields: dict[str, Any]) -> None:
        sizes = await self._room.desktop.screen_configurations(client.session)
        client.peer.reply(message("screen/configurations", configurations=screen_configurations(sizes)))

    async def _broadcast_create(self, client: V2Client, fields: dict[str, Any]) -> None:
        await self._room.broadcast.start(fields["url"])

    async def _broadcast_destroy(self, client: V2Client, fields: dict[str, Any]) -> None:
        await self._room.broadcast.stop()

    def _lock(self, on: bool) -> Handler:
        async def lock(client: V2Client, fields: dict[str, Any]) -> None:
            room = self._room.room
            resource = fields["resource"]
            if resource == "file_transfer":
                changes: dict[str, Any] = {"plugins": {**room.settings.plugins, "filetransfer.enabled": not on}}
            else:
                changes = {f"locked_{resource}s": on}  # locked_logins, locked_controls
            await room.update_settings(client.session, changes)

        return lock

    async def _ban(self, client: V2Client, fields: dict[str, Any]) -> None:
        if not self._room.bans.ban_session(fields["id"]):
            raise NotDone("session not found")
        await self._kick(client, fields)

    async def _kick(self, client: V2Client, fields: dict[str, Any]) -> None:
        await self._room.update_member(fields["id"], lambda profile: {"can_login": False})

    def _chat(self, can_send: bool) -> Handler:
        def changes(profile: MemberProfile) -> Mapping[str, Any]:
            return {"plugins": {**profile.plugins, "chat.can_send": can_send}}

        async def chat(client: V2Client, fields: dict[str, Any]) -> None:
            await self._room.update_member(fields["id"], changes)

        return chat


# The v3 operation each call stands for (its access rule is checked against the spec by the tests).
CALLS = {
    "openinapp/openlink": "openinappOpenLink",
    "control/give": "controlGive",
    "screen/resolution": "screenConfiguration",
    "screen/configurations": "screenConfigurationsList",
    "broadcast/create": "broadcastStart",
    "broadcast/destroy": "broadcastStop",
    "admin/lock": "settingsSet",
    "admin/unlock": "settingsSet",
    "admin/control": "controlTake",
    "admin/release": "controlReset",
    "admin/give": "controlGive",
    "admin/ban": "membersUpdateProfile",
    "admin/kick": "membersUpdateProfile",
    "admin/mute": "membersUpdateProfile",
    "admin/unmute": "membersUpdateProfile",
}
# The calls an administrator makes: those whose operation is ``x-nekoapi-access: admin`` (a test
# holds the two together), and the ban, which is the kick's.
ADMIN_CALLS = frozenset(
    {"broadcast/create", "broadcast/destroy", "admin/lock", "admin/unlock", "admin/control", "admin/release"}
    | {"admin/ban", "admin/kick", "admin/mute", "admin/unmute"}
)


def _admin(handler: Handler) -> Handler:
    async def checked(client: V2Client, fields: dict[str, Any]) -> None:
        if not client.session.profile.is_admin:
            raise errors.AdminRequired()
        await handler(client, fields)

    return checked
