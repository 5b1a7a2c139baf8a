"""The bare-Starlette reference: the benchmarked endpoints written by hand, nothing else.

It keeps the same in-memory data as nekoapi (sessions with the ``SessionData``
shape, a token -> session dict, Neko's WebSocket events) so that the ratio
ours/reference measures what the framework and our layering cost, not a
difference in work. It does no spec validation; that is the point of the
comparison.

    python -m bench.reference --bind 127.0.0.1:9000 --api-token T --sessions 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import secrets
import string
from collections import deque
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ADMIN_PASSWORD = "admin"
USER_PASSWORD = "neko"
_PROFILE_KEYS = (
    "can_login",
    "can_connect",
    "can_watch",
    "can_host",
    "can_share_media",
    "can_access_clipboard",
    "sends_inactive_cursor",
)
_ALPHABET = string.ascii_letters + string.digits


def _profile(name: str, is_admin: bool) -> dict[str, Any]:
    flags = dict.fromkeys(_PROFILE_KEYS, True)
    # can_automate: nekoapi's own permission, off by default (also for administrators).
    return {
        "name": name,
        "is_admin": is_admin,
        **flags,
        "can_see_inactive_cursors": is_admin,
        "can_automate": False,
        "plugins": {},
    }


def _dumps(value: Any) -> str:
    # The stdlib encoder, compact like nekoapi's output, so both send the same bytes.
    return json.dumps(value, separators=(",", ":"))


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Peer:
    """One socket with a bounded outbox and a writer task, like nekoapi's peer."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.outbox: deque[str] = deque()
        self.wakeup = asyncio.Event()
        self.close_reason: str | None = None

    def send(self, event: str, payload: Any) -> None:
        if self.close_reason is None and len(self.outbox) < 1024:
            self.outbox.append(_dumps({"event": event, "payload": payload}))
            self.wakeup.set()

    def close(self, reason: str) -> None:
        self.send("system/disconnect", {"message": reason})
        self.close_reason = reason
        self.wakeup.set()

    async def run(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                while self.outbox:
                    await self.websocket.send_text(self.outbox.popleft())
                if self.close_reason is not None:
                    await self.websocket.close(1000, self.close_reason)
                    return
                self.wakeup.clear()
                await self.wakeup.wait()


class Session:
    def __init__(self, session_id: str, profile: dict[str, Any]) -> None:
        self.id = session_id
        self.profile = profile
        self.state: dict[str, Any] = {"is_connected": False, "is_watching": False}
        self.peer: Peer | None = None

    def data(self) -> dict[str, Any]:
        return {"id": self.id, "profile": self.profile, "state": self.state}


class Store:
    def __init__(self, api_token: str) -> None:
        self.sessions: dict[str, Session] = {}
        self.tokens: dict[str, Session] = {}
        if api_token:
            self.tokens[api_token] = Session("API", _profile("API", True))

    def login(self, username: str, is_admin: bool) -> tuple[Session, str]:
        suffix = "".join(secrets.choice(_ALPHABET) for _ in range(5))
        session = Session(f"{username}-{suffix}", _profile(username, is_admin))
        token = secrets.token_hex(32)
        self.sessions[session.id] = session
        self.tokens[token] = session
        return session, token

    def broadcast(self, event: str, payload: Any) -> None:
        for session in self.sessions.values():
            if session.peer is not None:
                session.peer.send(event, payload)

    def set_connected(self, session: Session, connected: bool) -> None:
        session.state = {"is_connected": connected, "is_watching": False}
        session.state["connected_since" if connected else "not_connected_since"] = _now()
        self.broadcast("session/state", {"id": session.id, **session.state})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": status}, status)


def _token(request: Request | WebSocket) -> str | None:
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header[7:]
    return request.query_params.get("token")


def _caller(request: Request) -> Session | JSONResponse:
    store: Store = request.app.state.store
    token = _token(request)
    if token is None:
        return _error(401, "No authorization token provided")
    session = store.tokens.get(token)
    return session if session is not None else _error(401, "invalid token")


async def health(request: Request) -> Response:
    return JSONResponse(True)


async def login(request: Request) -> Response:
    try:
        body = await request.json()
        username, password = body["username"], body["password"]
    except (ValueError, KeyError, TypeError):
        return _error(400, "invalid request body")
    given = str(password).encode()
    is_admin = hmac.compare_digest(given, ADMIN_PASSWORD.encode())
    is_user = hmac.compare_digest(given, USER_PASSWORD.encode())
    if not username or not (is_admin or is_user):
        return _error(401, "invalid username or password")
    store: Store = request.app.state.store
    session, token = store.login(str(username), is_admin)
    store.broadcast("session/created", session.data())
    return JSONResponse({**session.data(), "token": token})


async def sessions_get(request: Request) -> Response:
    caller = _caller(request)
    if isinstance(caller, Response):
        return caller
    store: Store = request.app.state.store
    body = _dumps([s.data() for s in store.sessions.values()])
    return Response(body, media_type="application/json")


async def session_disconnect(request: Request) -> Response:
    caller = _caller(request)
    if isinstance(caller, Response):
        return caller
    if not caller.profile["is_admin"]:
        return _error(403, "admin access required")
    store: Store = request.app.state.store
    session = store.sessions.get(request.path_params["session_id"])
    if session is None:
        return _error(404, "session not found")
    if session.peer is not None:
        peer, session.peer = session.peer, None
        store.set_connected(session, False)
        peer.close("session disconnected")
    return Response(status_code=204)


async def websocket(ws: WebSocket) -> None:
    store: Store = ws.app.state.store
    await ws.accept()
    token = _token(ws)
    session = store.tokens.get(token) if token else None
    if session is None or session.id not in store.sessions:
        await ws.close(1008, "invalid token")
        return
    peer = Peer(ws)
    writer = asyncio.create_task(peer.run())
    if session.peer is not None:
        session.peer.close("connection replaced")
    session.peer = peer
    # Built inline: a local name would keep the whole session map alive as long as the socket.
    peer.send("system/init", {"session_id": session.id, "sessions": {s.id: s.data() for s in store.sessions.values()}})
    if not session.state["is_connected"]:
        store.set_connected(session, True)
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
    if session.peer is peer:
        session.peer = None
        store.set_connected(session, False)
    peer.close_reason = peer.close_reason or "closed"
    peer.wakeup.set()
    await writer


def create_app(api_token: str, sessions: int = 0) -> Starlette:
    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/api/login", login, methods=["POST"]),
            Route("/api/sessions", sessions_get),
            Route("/api/sessions/{session_id}/disconnect", session_disconnect, methods=["POST"]),
            WebSocketRoute("/api/ws", websocket),
        ]
    )
    app.state.store = Store(api_token)
    for i in range(sessions):
        app.state.store.login(f"seed{i}", False)
    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="bench.reference")
    parser.add_argument("--bind", default="127.0.0.1:9000")
    parser.add_argument("--api-token", default="")
    parser.add_argument("--sessions", type=int, default=0, help="sessions to create at start-up")
    args = parser.parse_args(argv)
    host, _, port = args.bind.rpartition(":")
    # Same uvicorn settings as `nekoapi serve`, so only the application differs.
    uvicorn.run(
        create_app(args.api_token, args.sessions),
        host=host,
        port=int(port),
        log_level="warning",
        ws_ping_interval=10.0,
        ws_ping_timeout=20.0,
        server_header=False,
    )


if __name__ == "__main__":
    main()
