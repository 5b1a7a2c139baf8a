"""Neko's v3 clients chatting through ``nekoapi serve``, replayed message for message.

Neither client is published where this project can install it from (npm has no ``@demodesk/neko``,
it lives on GitHub's registry), so each test replays what the client's code sends and checks what
its code would draw. The exchanges were read from (reading only, nothing copied):

- the client in Neko's repository, m1k1o/neko ``client/``: ``client/src/core/client.ts`` at
  212cd9bfa331b416e335bbf42b255c181c65c6e8 (login, ``/api/ws?token=``, ``signal/request`` after
  ``system/init``, ``client/heartbeat`` on every ``system/heartbeat``), ``client/src/core/api.ts`` at
  a68e258eafac26c367a4de02c85dcdc4e241de10 (Bearer header), ``client/src/app/neko.ts`` and
  ``client/src/app/Side.tsx`` at 1b14f10b3453cc7550a1d3700d385a39fd21b42b (``chat/message {text}``,
  lines drawn from the server's echo as name/``created``/``content.text``, the input shown while
  ``chat/init`` is enabled and the own profile's ``chat.can_send`` is not false, emotes as
  ``send/broadcast {subject: "emote"}``, muting by ``POST /api/members/{id}``);
- Neko's client library (``@demodesk/neko``) and its demo page, as kept in m1k1o/neko and
  demodesk/neko-client: ``src/page/components/chat.vue`` at 19b9ff6b88f19cd89222e8df6917f7954772d02f
  (m1k1o/neko; chat is ``send/broadcast {subject: "chat", body: {id, created, content}}``, drawn
  locally by the sender and from ``receive.broadcast`` by the others),
  ``src/component/internal/messages.ts`` and ``src/component/main.vue`` at
  0a8d5acc4e536377afeb848b30e3eefb3bd18488 (demodesk/neko-client), ``src/component/internal/websocket.ts``
  at 416e3d0e9d196f5b2243ccd9d67142ec8303de6c (demodesk/neko-client; a socket silent for 12.5 s is
  dropped), ``src/component/internal/reconnector/websocket.ts`` at
  11b3738244e3d7899b957a8c782079b0c92f62e3, ``src/component/internal/reconnector/webrtc.ts`` at
  27d88cee0892310b25de1b9e76e3b1c15e0c3f05 and ``src/component/internal/logger.ts`` at
  3e0554220526d352118defdc1627793ed3c2881e (m1k1o/neko; ``signal/request`` and ``system/logs``).

The server runs as ``make run`` runs it (the sqlite member provider, cookies off), without the
desktop: chat does not need it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import websockets

from tests.support.live import EventClient
from tests.support.patience import REPLY
from tests.support.process import ServeProcess, serve

ADMIN_PASSWORD = "first-admin-secret"
MEMBER_PASSWORD = "member-secret"
# The library's socket gives up after this long without a message (websocket.ts above).
LIBRARY_STALE_AFTER = 12.5
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[ServeProcess]:
    with tempfile.TemporaryDirectory() as directory:
        env = {
            "NEKO_MEMBER_PROVIDER": "sqlite",
            "NEKO_MEMBER_SQLITE_PATH": str(Path(directory) / "members.db"),
            "NEKO_MEMBER_SQLITE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        with serve(**env) as process:
            yield process


@pytest.fixture
async def http(server: ServeProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=REPLY) as client:
        yield client


@dataclass
class Page:
    """One browser tab: its token, its socket, and the session list its client keeps."""

    id: str
    token: str
    socket: EventClient
    sessions: dict[str, Any] = field(default_factory=dict)
    chat_enabled: bool | None = None

    def send(self, event: str, payload: Any = ...) -> Any:
        # JSON.stringify({event, payload}) leaves out a payload that is undefined.
        message = {"event": event} if payload is ... else {"event": event, "payload": payload}
        return self.socket.connection.send(json.dumps(message))

    async def next(self, timeout: float = REPLY) -> tuple[str, Any]:
        """The next event, applied to the client's state as both clients apply it."""
        message = await self.socket.next(timeout)
        event, payload = message["event"], message.get("payload")
        if event == "system/init":
            self.sessions = dict(payload["sessions"])
        elif event == "session/created":
            self.sessions[payload["id"]] = payload
        elif event == "session/profile" and payload["id"] in self.sessions:
            self.sessions[payload["id"]]["profile"] = {k: v for k, v in payload.items() if k != "id"}
        elif event == "chat/init":
            self.chat_enabled = payload["enabled"]
        return event, payload

    async def until(self, *events: str, timeout: float = REPLY) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            event, payload = await self.next(max(deadline - time.monotonic(), 0.001))
            if event in events:
                return event, payload

    def name(self, session_id: str) -> str:
        return str(self.sessions[session_id]["profile"]["name"])

    def shows_chat_input(self) -> bool:
        """Side.tsx: chat/init said enabled, and the own profile does not set chat.can_send false."""
        plugins = self.sessions[self.id]["profile"].get("plugins") or {}
        return bool(self.chat_enabled) and plugins.get("chat.can_send") is not False


async def admin_token(http: httpx.AsyncClient) -> str:
    login = await http.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["token"])


async def member(http: httpx.AsyncClient, name: str) -> str:
    """A new member named ``name`` (display name); its username."""
    username = f"{name.lower()}{next(_names)}"
    token = await admin_token(http)
    created = await http.post(
        "/api/members",
        json={"username": username, "password": MEMBER_PASSWORD, "profile": {"name": name}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 200, created.text
    return username


async def open_page(server: ServeProcess, http: httpx.AsyncClient, username: str, password: str) -> Page:
    """Log in and connect as both clients do: the token from the login body, then ``/api/ws?token=``."""
    login = await http.post("/api/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    body = login.json()
    token = body["token"]  # cookies are off by default: the token comes in the body
    assert (await http.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    url = server.url.replace("http", "ws", 1) + "/api/ws?token=" + quote(token, safe="-_.!~*'()")
    # A browser names the page's origin; the client is served by the server it talks to.
    socket = await EventClient.connect(url, additional_headers={"Origin": server.url})
    page = Page(body["id"], token, socket)
    assert (await page.until("system/init"))[1]["session_id"] == page.id
    return page


async def open_repository_client(server: ServeProcess, http: httpx.AsyncClient, name: str) -> Page:
    page = await open_page(server, http, await member(http, name), MEMBER_PASSWORD)
    # client.ts asks for media on system/init; neko.ts asks for the file list once the id is known.
    await page.send("signal/request", {"video": {}, "audio": {}})
    await page.send("filetransfer/update")
    await page.until("chat/init")
    return page


async def open_library_page(server: ServeProcess, http: httpx.AsyncClient, name: str) -> Page:
    page = await open_page(server, http, await member(http, name), MEMBER_PASSWORD)
    # The WebRTC reconnector's request, and the remote logger's batch (a list, not an object).
    await page.send(
        "signal/request",
        {"video": {"disabled": False, "selector": None, "auto": True}, "audio": {"disabled": False}},
    )
    log_line = {"level": "debug", "message": "EVENT.SYSTEM_INIT", "fields": {"scope": "messages"}}
    await page.send("system/logs", [log_line])
    await page.until("chat/init")
    return page


async def close(*pages: Page) -> None:
    for page in pages:
        await page.socket.close()


@pytest.fixture
async def alice_and_bob(server: ServeProcess, http: httpx.AsyncClient) -> AsyncIterator[tuple[Page, Page]]:
    """Two tabs of the repository's client, closed afterwards even when the test fails (the server is shared)."""
    alice = await open_repository_client(server, http, "Alice")
    bob = await open_repository_client(server, http, "Bob")
    yield alice, bob
    await close(alice, bob)


def assert_chat_line(payload: dict[str, Any], sender: str, text: str) -> None:
    assert set(payload) == {"id", "created", "content"}
    assert payload["id"] == sender and payload["content"] == {"text": text}
    created = datetime.fromisoformat(payload["created"].replace("Z", "+00:00"))  # new Date(created)
    assert created.tzinfo is not None and abs((datetime.now(UTC) - created).total_seconds()) < 30


async def test_the_repository_client_chats_and_draws_the_servers_echo(alice_and_bob: tuple[Page, Page]) -> None:
    alice, bob = alice_and_bob
    assert alice.shows_chat_input() and bob.shows_chat_input()

    text = "hello **Bob** :neko:"
    await alice.send("chat/message", {"text": text})
    # The sender's own line comes only from the echo: the client does not draw it itself.
    for page in (alice, bob):
        _, payload = await page.until("chat/message")
        assert_chat_line(payload, alice.id, text)
        assert page.name(payload["id"]) == "Alice"


async def test_the_repository_clients_emotes_reach_the_others_only(alice_and_bob: tuple[Page, Page]) -> None:
    alice, bob = alice_and_bob

    await alice.send("send/broadcast", {"subject": "emote", "body": "heart"})
    await alice.send("chat/message", {"text": "after the emote"})
    assert await bob.until("send/broadcast") == (
        "send/broadcast",
        {"sender": alice.id, "subject": "emote", "body": "heart"},
    )
    # neko.ts shows the sender's emote itself: had the server sent it back, it would come first.
    event, payload = await alice.until("send/broadcast", "chat/message")
    assert (event, payload["content"]["text"]) == ("chat/message", "after the emote")


async def test_a_muted_member_loses_the_input_and_its_messages_reach_nobody(
    http: httpx.AsyncClient, alice_and_bob: tuple[Page, Page]
) -> None:
    alice, bob = alice_and_bob
    token = await admin_token(http)

    # The client's mute action, as an administrator's tab sends it.
    muted = await http.post(
        f"/api/members/{quote(bob.id, safe='')}",
        json={"plugins": {"chat.can_send": False}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert muted.status_code == 204, muted.text
    for page in (alice, bob):
        await page.until("session/profile")
        assert page.sessions[bob.id]["profile"]["plugins"]["chat.can_send"] is False
    assert not bob.shows_chat_input() and alice.shows_chat_input()

    await bob.send("chat/message", {"text": "can anyone hear me?"})
    await alice.send("chat/message", {"text": "only me"})
    for page in (alice, bob):
        _, payload = await page.until("chat/message")
        assert_chat_line(payload, alice.id, "only me")


async def test_the_library_demo_page_chat_reaches_the_other_page(server: ServeProcess, http: httpx.AsyncClient) -> None:
    alice = await open_library_page(server, http, "Alice")
    bob = await open_library_page(server, http, "Bob")

    # chat.vue: the line the sender draws at once, broadcast as the body (a Date becomes ISO text).
    line = {"id": alice.id, "created": "2026-12-02T17:14:23.234Z", "content": "hi from the demo page"}
    await alice.send("send/broadcast", {"subject": "chat", "body": line})
    await alice.send("send/unicast", {"receiver": alice.id, "subject": "marker", "body": None})

    event, payload = await bob.until("send/broadcast")
    assert payload == {"sender": alice.id, "subject": "chat", "body": line}
    assert bob.name(payload["body"]["id"]) == "Alice"  # session(message.id) on the receiving page
    # Nothing comes back to the sender, which drew its line already: its next relay is the marker.
    event, payload = await alice.until("send/broadcast", "send/unicast")
    assert (event, payload["subject"]) == ("send/unicast", "marker")
    await close(alice, bob)


async def test_a_quiet_room_keeps_both_clients_sockets_alive(server: ServeProcess, http: httpx.AsyncClient) -> None:
    alice = await open_repository_client(server, http, "Alice")
    bob = await open_library_page(server, http, "Bob")
    started = time.monotonic()
    # Nothing happens in the room: the library drops a socket that stays silent 12.5 s.
    await bob.until("system/heartbeat", timeout=LIBRARY_STALE_AFTER)
    assert time.monotonic() - started < LIBRARY_STALE_AFTER
    await alice.until("system/heartbeat", timeout=LIBRARY_STALE_AFTER)
    await alice.send("client/heartbeat")  # the repository client's answer, without a payload

    await alice.send("chat/message", {"text": "still here"})
    _, payload = await bob.until("chat/message")
    assert_chat_line(payload, alice.id, "still here")
    await close(alice, bob)


async def test_a_stale_session_cookie_does_not_hide_the_token_in_the_url(
    server: ServeProcess, http: httpx.AsyncClient
) -> None:
    """Browsers send a host's cookies to every port of it, e.g. one left there by another Neko."""
    username = await member(http, "Carol")
    login = await http.post("/api/login", json={"username": username, "password": MEMBER_PASSWORD})
    token = login.json()["token"]
    stale = {"Origin": server.url, "Cookie": "NEKO_SESSION=" + "f" * 64}

    socket = await EventClient.connect(server.ws_url(token), additional_headers=stale)
    assert (await socket.wait_for("system/init"))["session_id"] == login.json()["id"]
    await socket.close()

    alone = await EventClient.connect(server.ws_url("").removesuffix("?token="), additional_headers=stale)
    assert await alone.wait_for("system/disconnect") == {"message": "invalid or missing credentials"}
    with pytest.raises((websockets.ConnectionClosed, asyncio.TimeoutError)):
        await alone.next(timeout=5)
