"""Several CDP clients on one browser pipe: ids renumbered, sessions kept apart, input gated."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import orjson
import pytest

from nekoapi.desktop.cdp import DevToolsLink
from nekoapi.desktop.chromium import DevToolsPipe
from tests.support.patience import REPLY


class FakeBrowser:
    """The browser's end of the pipe: browser sessions, page sessions, and an echo for the rest."""

    def __init__(self, pipe: DevToolsPipe) -> None:
        self.read_fd, self.write_fd = pipe.child_fds
        self.seen: list[dict[str, Any]] = []
        self._sessions = 0
        self._buffer = b""
        asyncio.get_running_loop().add_reader(self.read_fd, self._readable)

    def _readable(self) -> None:
        data = os.read(self.read_fd, 65536)
        self._buffer += data
        *messages, self._buffer = self._buffer.split(b"\0")
        for raw in messages:
            self._answer(orjson.loads(raw))

    def _send(self, message: dict[str, Any]) -> None:
        os.write(self.write_fd, orjson.dumps(message) + b"\0")

    def _answer(self, message: dict[str, Any]) -> None:
        self.seen.append(message)
        method, session = message["method"], message.get("sessionId")
        reply: dict[str, Any] = {"id": message["id"]}
        if session is not None:
            reply["sessionId"] = session
        if method in ("Target.attachToBrowserTarget", "Target.attachToTarget"):
            self._sessions += 1
            new = f"S{self._sessions}"
            if method == "Target.attachToTarget":
                self._send({"method": "Target.attachedToTarget", "params": {"sessionId": new}, "sessionId": session})
            reply["result"] = {"sessionId": new}
        else:
            reply["result"] = {"method": method, "session": session}
        self._send(reply)

    def exit(self) -> None:
        if self.read_fd < 0:
            return
        asyncio.get_running_loop().remove_reader(self.read_fd)
        os.close(self.write_fd)
        os.close(self.read_fd)
        self.read_fd = self.write_fd = -1


class Client:
    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed: str | None = None

    def send(self, data: bytes) -> None:
        self.inbox.put_nowait(orjson.loads(data))

    def close(self, reason: str) -> None:
        self.closed = reason

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.inbox.get(), REPLY)


@pytest.fixture
async def bench() -> Any:
    pipe = DevToolsPipe()
    paused: list[str] = []
    link = DevToolsLink(pipe, lambda: paused[0] if paused else None)
    await link.open()
    browser = FakeBrowser(pipe)
    yield link, browser, paused
    link.close()
    browser.exit()


async def test_replies_and_events_reach_only_their_client(bench: Any) -> None:
    link, browser, _ = bench
    a, b = Client(), Client()
    route_a, route_b = await link.attach(a, "alice"), await link.attach(b, "bob")
    link.from_client(route_a, b'{"id": 1, "method": "Browser.getVersion"}')
    link.from_client(route_b, b'{"id": 1, "method": "Browser.getVersion"}')  # the same id, another client
    reply_a, reply_b = await a.next(), await b.next()
    assert reply_a == {"id": 1, "result": {"method": "Browser.getVersion", "session": route_a.browser_session}}
    assert reply_b["result"]["session"] == route_b.browser_session and "sessionId" not in reply_b
    # A page attached by alice is hers: its events and replies carry its session; bob cannot use it.
    link.from_client(route_a, b'{"id": 2, "method": "Target.attachToTarget", "params": {"flatten": true}}')
    event, reply = await a.next(), await a.next()
    page = reply["result"]["sessionId"]
    assert event == {"method": "Target.attachedToTarget", "params": {"sessionId": page}}
    link.from_client(route_a, orjson.dumps({"id": 3, "method": "Runtime.evaluate", "sessionId": page}))
    assert await a.next() == {"id": 3, "result": {"method": "Runtime.evaluate", "session": page}, "sessionId": page}
    link.from_client(route_b, orjson.dumps({"id": 2, "method": "Runtime.evaluate", "sessionId": page}))
    refused = await b.next()
    assert refused["error"]["code"] == -32001 and refused["id"] == 2
    assert a.inbox.empty() and b.inbox.empty()
    assert not [m for m in browser.seen if m.get("sessionId") == page and m["method"] == "Runtime.evaluate"][1:]


async def test_input_is_refused_while_the_gate_is_shut(bench: Any) -> None:
    link, browser, paused = bench
    a = Client()
    route = await link.attach(a, "alice")
    paused.append("a person holds the browser")
    link.from_client(route, b'{"id": 7, "method": "Input.dispatchMouseEvent", "params": {}}')
    assert await a.next() == {"id": 7, "error": {"code": -32000, "message": "a person holds the browser"}}
    link.from_client(route, b'{"id": 8, "method": "Page.navigate"}')  # not input: it goes through
    assert (await a.next())["id"] == 8
    paused.clear()
    link.from_client(route, b'{"id": 9, "method": "Input.dispatchMouseEvent"}')
    assert (await a.next())["result"]["method"] == "Input.dispatchMouseEvent"
    assert [m["method"] for m in browser.seen].count("Input.dispatchMouseEvent") == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"not json", -32700), (b"[1]", -32600), (b'{"method": "x"}', -32600), (b'{"id": "1", "method": "x"}', -32600)],
)
async def test_malformed_messages_get_a_cdp_error(bench: Any, raw: bytes, code: int) -> None:
    link, _, _ = bench
    a = Client()
    link.from_client(await link.attach(a, "alice"), raw)
    assert (await a.next())["error"]["code"] == code


async def test_a_leaving_client_is_detached_and_the_browsers_exit_closes_the_others(bench: Any) -> None:
    link, browser, _ = bench
    a, b = Client(), Client()
    route_a, _route_b = await link.attach(a, "alice"), await link.attach(b, "bob")
    link.detach(route_a)
    await asyncio.sleep(0.1)
    detach = [m for m in browser.seen if m["method"] == "Target.detachFromTarget"]
    assert detach and detach[0]["params"] == {"sessionId": route_a.browser_session}
    assert [r.owner for r in link.clients()] == ["bob"]
    browser.exit()
    await asyncio.wait_for(link.closed.wait(), REPLY)
    assert b.closed == "the browser closed" and a.closed is None
