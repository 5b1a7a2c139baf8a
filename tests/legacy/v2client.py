"""A v2 client as Neko's Vue 2 UI is one (``client/src/neko/base.ts``): ``/ws?password=&username=``,
flat JSON messages; every message it receives is checked against the spec's ``x-websocket-v2``."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import orjson
import websockets

from nekoapi.ws.declared import V2_INDEX, declaration
from tests.support.patience import REPLY


def v2_violation(message: Any) -> str | None:
    """What the v2 declaration does not allow about a server message, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return f"not a v2 event object: {str(message)[:200]}"
    fields = {k: v for k, v in message.items() if k != "event"}
    declared = declaration(V2_INDEX).server.get(message["event"])
    if declared is None:
        return f"{message['event']!r} is not a declared v2 server event"
    if declared.schema_name is None:
        return None if not fields else f"{message['event']} carries fields it does not declare"
    problem = declared.problem(fields, formats=True)
    return None if problem is None else f"{message['event']} breaks {declared.schema_name}: {problem}"


class V2Client:
    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection
        self.seen: list[dict[str, Any]] = []
        self.id = ""  # the session's, from signal/provide
        self.greeting: list[dict[str, Any]] = []  # what came up to signal/provide

    @classmethod
    async def connect(cls, port: int, password: str, username: str, prefix: str = "") -> V2Client:
        query = urlencode({"password": password, "username": username})
        return cls(await websockets.connect(f"ws://127.0.0.1:{port}{prefix}/ws?{query}"))

    async def next(self, timeout: float = REPLY) -> dict[str, Any]:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        problem = v2_violation(message)
        assert problem is None, f"the server sent what x-websocket-v2 does not declare: {problem}"
        self.seen.append(message)
        return message

    async def wait_for(self, event: str, timeout: float = REPLY, **fields: Any) -> dict[str, Any]:
        """The next ``event`` with ``fields``; others are skipped."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.next(max(deadline - asyncio.get_running_loop().time(), 0.001))
            if message["event"] == event and all(message.get(k) == v for k, v in fields.items()):
                return message

    async def events_until(self, event: str, timeout: float = REPLY) -> list[dict[str, Any]]:
        """Every message up to and including the next ``event``."""
        found = []
        while True:
            found.append(await self.next(timeout))
            if found[-1]["event"] == event:
                return found

    async def send(self, event: str, **fields: Any) -> None:
        await self.connection.send(orjson.dumps({"event": event, **fields}).decode())

    async def close(self) -> None:
        await self.connection.close()
