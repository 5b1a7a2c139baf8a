"""Two ``nekoapi serve`` processes sharing one Redis behave as one server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from nekoapi import errors
from nekoapi.members.refusals import NoMembers
from nekoapi.models import USER_PROFILE, MemberProfile
from nekoapi.services import Services
from nekoapi.tokens import token_digest
from nekoapi.ws import protocol
from tests.support.client import ApiClient
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import EventClient
from tests.support.patience import REPLY, START
from tests.support.process import ServeProcess, serve
from tests.support.redis import redis_env, require_redis


@dataclass
class Node:
    server: ServeProcess
    http: ApiClient
    prefix: str  # of the room's Redis keys

    def ws(self, token: str) -> str:
        return self.server.ws_url(token)


@contextlib.contextmanager
def two_servers(env: dict[str, str]) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Servers A and B on two ports, one room (same Redis, same prefix)."""
    with serve(**env) as a, serve(**env) as b:
        yield a, b


@pytest.fixture
async def nodes() -> AsyncIterator[tuple[Node, Node]]:
    env = {
        **redis_env(),
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    prefix = env["NEKO_REDIS_PREFIX"]
    with two_servers(env) as (a, b):
        async with (
            ApiClient(base_url=a.url, timeout=REPLY) as http_a,
            ApiClient(base_url=b.url, timeout=REPLY) as http_b,
        ):
            yield Node(a, http_a, prefix), Node(b, http_b, prefix)


async def test_disconnect_through_a_closes_the_socket_on_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    admin = await a.http.login_admin()
    user = await a.http.login_user()
    client = await EventClient.connect(b.ws(user.token))
    assert (await client.wait_for("system/init"))["session_id"] == user.id
    watcher = await EventClient.connect(a.ws(admin.token))
    await watcher.wait_for("system/init")

    response = await a.http.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)
    assert response.status_code == 204

    assert await client.wait_for("system/disconnect") == {"message": "session disconnected"}
    close = await client.closed()
    assert close is not None and close.reason == "session disconnected"
    # The watcher on A hears it from B, and both servers agree on the state.
    await watcher.wait_for("session/state", id=user.id, is_connected=False)
    for node in (a, b):
        listed = (await node.http.get(f"/api/sessions/{user.id}", headers=admin.bearer)).json()
        assert listed["state"]["is_connected"] is False
    await watcher.close()


async def test_session_events_and_control_host_reach_clients_on_both(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    admin = await a.http.login_admin()
    on_a = await EventClient.connect(a.ws(admin.token))
    await on_a.wait_for("system/init")
    watcher_login = await b.http.login_admin("watcher")
    on_b = await EventClient.connect(b.ws(watcher_login.token))
    init = await on_b.wait_for("system/init")
    assert set(init["sessions"]) == {admin.id, watcher_login.id}  # B knows A's session
    await on_a.wait_for("session/state", id=watcher_login.id, is_connected=True)

    user = await b.http.login_user()  # created on B
    for client in (on_a, on_b):
        created = await client.wait_for("session/created", id=user.id)
        assert created["profile"]["name"] == "user"

    assert (await a.http.post("/api/room/control/take", headers=admin.bearer)).status_code == 204
    for client in (on_a, on_b):
        assert await client.wait_for("control/host", has_host=True) == {
            "id": admin.id,
            "has_host": True,
            "host_id": admin.id,
        }
    status = (await b.http.get("/api/room/control", headers=watcher_login.bearer)).json()
    assert status == {"has_host": True, "host_id": admin.id}

    # A user on B changes its profile, with the token A does not know yet.
    renamed = await b.http.post("/api/profile", headers=user.bearer, json={"name": "renamed"})
    assert renamed.status_code == 204, renamed.text
    for client in (on_a, on_b):
        assert (await client.wait_for("session/profile", id=user.id))["name"] == "renamed"

    assert (await a.http.delete(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 204
    for client in (on_a, on_b):
        assert await client.wait_for("session/deleted", id=user.id) == {"id": user.id}
    assert (await b.http.get(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 404
    for client in (on_a, on_b):
        await client.close()


async def test_a_session_deleted_on_a_closes_its_socket_on_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    admin = await a.http.login_admin()
    user = await a.http.login_user()
    client = await EventClient.connect(b.ws(user.token))
    await client.wait_for("system/init")

    assert (await a.http.delete(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 204

    assert await client.wait_for("system/disconnect") == {"message": "session deleted"}
    await client.closed()
    # The token is gone everywhere.
    for node in (a, b):
        assert (await node.http.get("/api/whoami", headers=user.bearer)).status_code == 401


async def test_a_second_socket_on_b_replaces_the_first_on_a_and_the_session_stays_connected(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    admin = await a.http.login_admin()
    user = await a.http.login_user()
    first = await EventClient.connect(a.ws(user.token))
    await first.wait_for("system/init")
    watcher = await EventClient.connect(b.ws(admin.token))
    init = await watcher.wait_for("system/init")
    if not init["sessions"][user.id]["state"]["is_connected"]:
        # B learns of the connect on A through Redis; the replacement is tested once it has.
        await watcher.wait_for("session/state", id=user.id, is_connected=True)
    watcher.seen.clear()

    second = await EventClient.connect(b.ws(user.token))
    assert (await second.wait_for("system/init"))["session_id"] == user.id

    assert await first.wait_for("system/disconnect") == {"message": "connection replaced"}
    await first.closed()
    # The session never looked disconnected, and it still counts once.
    await asyncio.sleep(0.3)
    assert not [m for m in watcher.seen if m["event"] == "session/state" and m["payload"]["id"] == user.id]
    for node in (a, b):
        session = (await node.http.get(f"/api/sessions/{user.id}", headers=admin.bearer)).json()
        assert session["state"]["is_connected"] is True
        stats = (await node.http.get("/api/stats", headers=admin.bearer)).json()
        assert (stats["total_users"], stats["total_admins"]) == (1, 1)
    # The new socket is the one a disconnect through A reaches.
    assert (await a.http.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)).status_code == 204
    assert await second.wait_for("system/disconnect") == {"message": "session disconnected"}
    await watcher.wait_for("session/state", id=user.id, is_connected=False)
    await watcher.close()


async def test_redis_holds_token_digests_never_tokens(nodes: tuple[Node, Node]) -> None:
    a, _b = nodes
    user = await a.http.login_user()
    prefix = a.prefix
    client = aioredis.Redis.from_url(require_redis())
    try:
        keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}:*")]
        assert f"{prefix}:token:{token_digest(user.token).hex()}" in keys
        dump = b"".join([key.encode() for key in keys])
        for key in keys:
            kind = await client.type(key)
            if kind == b"hash":
                dump += b"".join(v for pair in (await client.hgetall(key)).items() for v in pair)
            elif kind == b"string":
                dump += await client.get(key) or b""
        assert user.token.encode() not in dump
    finally:
        await client.aclose()


class StableMembers(NoMembers):
    """A provider whose member ids are stable (as file, object and PostgreSQL providers have;
    multiuser makes a new id per login, so it cannot race)."""

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        if password != USER_PASSWORD:
            raise errors.InvalidCredentials()
        return username, USER_PROFILE.merged({"name": username})


@contextlib.asynccontextmanager
async def two_workers(**env: str) -> AsyncIterator[tuple[Services, Services]]:
    """Two workers' services in this process, one room in Redis, members with stable ids."""
    config = make_config(**redis_env(), **env)
    # The provider is chosen by configuration only; these members keep their ids across workers.
    workers = (Services(config, {"members": StableMembers()}), Services(config, {"members": StableMembers()}))
    for worker in workers:
        await worker.start()
    try:
        yield workers
    finally:
        for worker in workers:
            await worker.stop()


async def test_the_same_member_logging_in_on_two_workers_at_once_ends_with_one_session() -> None:
    async with two_workers() as (a, b):
        for round_ in range(10):
            (_, token_a), (_, token_b) = await asyncio.gather(
                a.sessions.login("racer", USER_PASSWORD), b.sessions.login("racer", USER_PASSWORD)
            )
            tokens = (token_a, token_b)
            # Once the relay has settled, both replicas agree with Redis: exactly one token is valid.
            await _until_async(lambda t=tokens: _agree(a, b, *t))
            valid = [t for t in tokens if a.sessions.replica.by_token(t) is not None]
            assert len(valid) == 1, f"round {round_}"
            for worker in (a, b):
                assert (await worker.sessions.authenticate(valid[0])).id == "racer"
                with pytest.raises(errors.NotAuthenticated):
                    await worker.sessions.authenticate(next(t for t in tokens if t != valid[0]))
            assert [s.id for s in a.sessions.list()] == [s.id for s in b.sessions.list()] == ["racer"]


class Recorder:
    """A socket that records what it is sent."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def send(self, event: str, payload: Any) -> None:
        self.events.append((event, payload))

    def send_frame(self, frame: bytes | tuple[bytes, ...]) -> None:
        # Broadcasts arrive framed once for every socket; a large system/init in parts (header first).
        text = b"".join(frame[1:]) if isinstance(frame, tuple) else protocol.frame_text(frame).encode()
        event = orjson.loads(text)
        self.send(event["event"], event.get("payload"))

    def destroy(self, reason: str) -> None:
        self.events.append(("closed", reason))

    def named(self, event: str) -> list[Any]:
        return [payload for name, payload in self.events if name == event]


async def test_control_protection_reacts_once_for_the_room_not_once_per_worker() -> None:
    async with two_workers(NEKO_SESSION_CONTROL_PROTECTION="true") as (a, b):
        viewer, _ = await b.sessions.login("viewer", USER_PASSWORD)
        on_b = Recorder()
        assert b.sessions.connect(viewer, on_b)  # type: ignore[arg-type]
        admin, _ = await a.sessions.login("boss", USER_PASSWORD)
        await a.sessions.update_profile(admin.id, admin.profile.merged({"is_admin": True}))
        on_a = Recorder()
        assert a.sessions.connect(admin, on_a)  # type: ignore[arg-type]

        async def unlocked_on_b() -> bool:
            return bool(on_b.named("system/settings"))

        await _until_async(unlocked_on_b)
        await asyncio.sleep(0.2)  # a second reaction, if any, would have arrived by now
        settings = on_b.named("system/settings")
        assert len(settings) == 1 and settings[0]["locked_controls"] is False
        assert a.room.settings.locked_controls is False and b.room.settings.locked_controls is False
        stats = (a.room.stats(), b.room.stats())
        assert [(s["total_users"], s["total_admins"]) for s in stats] == [(1, 1), (1, 1)]


async def _agree(a: Services, b: Services, *tokens: str) -> bool:
    """Redis (read directly, not through a replica) and both replicas name the same valid token."""
    config = a.config.redis
    client = aioredis.Redis.from_url(config.url)
    try:
        shared = [t for t in tokens if await client.get(f"{config.prefix}:token:{token_digest(t).hex()}")]
    finally:
        await client.aclose()
    replicas = [[t for t in tokens if w.sessions.replica.by_token(t) is not None] for w in (a, b)]
    return replicas[0] == replicas[1] == shared


async def _until_async(check: Callable[[], Awaitable[bool]], timeout: float = REPLY) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_two_simultaneous_control_requests_on_a_and_b_produce_one_host(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    admin = await a.http.login_admin()
    first = await a.http.login_user("first")
    second = await b.http.login_user("second")
    for _round in range(5):
        answers = await asyncio.gather(
            a.http.post("/api/room/control/request", headers=first.bearer),
            b.http.post("/api/room/control/request", headers=second.bearer),
        )
        codes = sorted(r.status_code for r in answers)
        assert codes == [202, 204], [r.text for r in answers]  # the loser's request goes to the winner
        winner, winners_node = (first, a) if answers[0].status_code == 204 else (second, b)
        expected = {"has_host": True, "host_id": winner.id}
        assert (await winners_node.http.get("/api/room/control", headers=admin.bearer)).json() == expected
        # The other server's copy follows within moments, and never names the loser.
        other = a if winners_node is b else b
        await _until(lambda other=other, expected=expected: _host_is(other, admin.bearer, expected))
        assert (await a.http.post("/api/room/control/reset", headers=admin.bearer)).status_code == 204
        await _until(lambda: _no_host(b, admin.bearer))


async def _no_host(node: Node, headers: dict[str, str]) -> bool:
    return await _host_is(node, headers, {"has_host": False})


async def _host_is(node: Node, headers: dict[str, str], expected: dict[str, object]) -> bool:
    status = (await node.http.get("/api/room/control", headers=headers)).json()
    assert status in (expected, {"has_host": False}), status
    return bool(status == expected)


async def _until(check: object, timeout: float = REPLY) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


# --- nekoapi serve --workers n ---


def test_more_than_one_worker_without_a_shared_store_is_refused() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "nekoapi", "serve", "--workers", "2"],
        env={k: v for k, v in os.environ.items() if not k.startswith("NEKO_")},
        capture_output=True,
        timeout=30,
    )
    assert completed.returncode == 2
    message = completed.stderr.decode()
    assert "--workers: 2 workers need a shared session store" in message
    assert "NEKO_SESSION_STORE=redis" in message


async def test_two_workers_on_one_port_serve_one_room() -> None:
    env = {
        **redis_env(),
        "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD,
    }
    with serve("--workers", "2", **env) as server:
        assert len(_workers(server.process.pid)) == 2
        async with ApiClient(base_url=server.url, timeout=REPLY) as http:
            admin = await http.login_admin()
            watcher = await EventClient.connect(server.ws_url(admin.token))
            await watcher.wait_for("system/init")
            # Enough sockets that both workers hold some (the kernel spreads the accepts).
            users = [await http.login_user(f"user{i}") for i in range(8)]
            clients = [await EventClient.connect(server.ws_url(u.token)) for u in users]
            for user, client in zip(users, clients, strict=True):
                assert (await client.wait_for("system/init"))["session_id"] == user.id
            # Workers relay in their own order; the watcher hears of every socket, whichever worker holds it.
            connected: set[str] = set()
            while not {u.id for u in users} <= connected:
                payload = await watcher.wait_for("session/state", is_connected=True)
                connected.add(payload["id"])
            assert (await http.post("/api/room/control/take", headers=admin.bearer)).status_code == 204
            for client in clients:
                await client.wait_for("control/host", host_id=admin.id)
            for user, client in zip(users, clients, strict=True):
                response = await http.post(f"/api/sessions/{user.id}/disconnect", headers=admin.bearer)
                assert response.status_code == 204
                assert await client.wait_for("system/disconnect") == {"message": "session disconnected"}
                await client.closed()
            # The counters are Redis's; a worker's copy follows the last disconnect within moments.
            await _until(lambda: _counts_are(http, admin.bearer, (0, 1)))
            # On SIGTERM every worker says goodbye to the sockets it holds.
            again = [await EventClient.connect(server.ws_url(u.token)) for u in users]
            for client in again:
                await client.wait_for("system/init")
            code, _took = server.stop()
            assert code == 0
            for client in [watcher, *again]:
                assert await client.wait_for("system/disconnect") == {"message": "server shutdown"}


async def test_workers_the_supervisor_restarted_say_goodbye_on_shutdown_too() -> None:
    # On a loaded machine uvicorn's supervisor replaces workers (one slow to answer its health
    # check is killed); a replacement runs uvicorn's own server, which closed sockets with a bare 1012.
    env = {**redis_env(), "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": USER_PASSWORD}
    with serve("--workers", "2", **env) as server:
        first = set(_workers(server.process.pid))
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        await _until(lambda: _replaced(server, first), timeout=START)
        server.wait_healthy()
        async with ApiClient(base_url=server.url, timeout=REPLY) as http:
            users = [await http.login_user(f"user{i}") for i in range(4)]
            clients = [await EventClient.connect(server.ws_url(u.token)) for u in users]
            for client in clients:
                await client.wait_for("system/init")
            code, _took = server.stop()
            assert code == 0
            for client in clients:
                assert await client.wait_for("system/disconnect") == {"message": "server shutdown"}


async def _replaced(server: ServeProcess, old: set[int]) -> bool:
    current = set(_workers(server.process.pid))
    return len(current) == len(old) and not current & old


async def _counts_are(http: ApiClient, headers: dict[str, str], expected: tuple[int, int]) -> bool:
    stats = (await http.get("/api/stats", headers=headers)).json()
    counts = (stats["total_users"], stats["total_admins"])
    assert counts[0] >= expected[0] and counts[1] == expected[1], counts  # only ever moving towards it
    return counts == expected


def _workers(pid: int) -> list[int]:
    """The worker processes under ``pid`` (multiprocessing's resource tracker is not one)."""
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        children = [int(child) for child in listing.read().split()]
    return [child for child in children if b"resource_tracker" not in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read()
    return b""


async def test_a_member_deleted_on_a_closes_its_socket_on_b(tmp_path: Any) -> None:
    # Members in one database both servers use (SQLite here; PostgreSQL across hosts), sessions in Redis.
    env = {
        **redis_env(),
        "NEKO_MEMBER_PROVIDER": "sqlite",
        "NEKO_MEMBER_SQLITE_PATH": str(tmp_path / "members.db"),
        "NEKO_MEMBER_SQLITE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NEKO_MEMBER_ARGON2_TIME_COST": "1",
        "NEKO_MEMBER_ARGON2_MEMORY_KIB": "1024",
    }
    with serve(**env) as a, serve(**env) as b:
        async with (
            ApiClient(base_url=a.url, timeout=REPLY) as http_a,
            ApiClient(base_url=b.url, timeout=REPLY) as http_b,
        ):
            admin = await http_a.login_admin()
            created = await http_a.post(
                "/api/members", json={"username": "carol", "password": USER_PASSWORD}, headers=admin.bearer
            )
            assert created.status_code == 200
            carol = await http_b.login("carol", USER_PASSWORD)
            client = await EventClient.connect(b.ws_url(carol.token))
            assert (await client.wait_for("system/init"))["session_id"] == "carol"

            assert (await http_a.delete("/api/members/carol", headers=admin.bearer)).status_code == 204

            assert await client.wait_for("system/disconnect") == {"message": "session deleted"}
            assert (await client.closed()).reason == "session deleted"  # type: ignore[union-attr]
            assert (await http_b.get("/api/whoami", headers=carol.bearer)).status_code == 401
