"""``session.store: redis``: the shared state in Redis, changes relayed to every worker.

Redis holds the truth: sessions by id (token digest, profile, state), the token
digest index, the host, the room settings and the stats counters. Each worker
keeps a replica in memory (``replica.py``) for reads, and the
sockets it accepted.

Every change is one Lua script that writes the state *and* publishes a message
on the room's channel, so the order of messages on the channel is the order of
the writes. A worker writes its changes from one task, in the order it made
them, and applies other workers' messages to its replica before handing them to
its WebSocket broadcaster. Two kinds of messages are applied even when they are
the worker's own, because two workers can race for them and the channel order
decides: logins (the newest digest of a session wins) and stats counters.

Decisions two workers could both take (the same member logging in twice, two
control requests at once) are made inside Redis: the login script replaces the
old token atomically, and ``claim_host`` is a compare-and-set.

Outage: writes wait in the queue and are retried until Redis answers again, so
nothing a client was told succeeded is lost; operations that need Redis answer
503 meanwhile (``require``/``flush``); on reconnection the replica is reloaded.
A Redis that lost its data refuses every change (``NOROOM``) until a worker has
written its replica back, so no acknowledged change lands in an empty Redis
that a later restore would then undo.

Ending a session (``end_session``) is the change a client must be able to rely
on either way: it is written before the replica forgets the session, and when it
cannot be written in time it is withdrawn, so a 503 leaves the session as it was
and a 200 is final on every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from .. import errors
from ..config import RedisConfig
from ..events import Delivered
from ..models import MemberProfile, SessionState, Settings
from ..tokens import same_token, token_digest
from .session import Session

if TYPE_CHECKING:
    from .replica import Replica

log = logging.getLogger(__name__)

# How long an acknowledged operation waits for Redis before answering 503.
ACK_TIMEOUT = 2.0
# Pause between attempts while Redis is unreachable.
RETRY_DELAY = 0.25
# How long start-up waits for the first copy of the shared state.
START_TIMEOUT = 5.0
UNAVAILABLE = "session store (redis) unreachable"

_PUT_SESSION = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
local key = p .. ':session:' .. ARGV[2]
local old = redis.call('HGET', key, 'digest')
if old and old ~= ARGV[3] then redis.call('DEL', p .. ':token:' .. old) end
redis.call('HSET', key, 'digest', ARGV[3], 'profile', ARGV[4], 'state', ARGV[5])
redis.call('SET', p .. ':token:' .. ARGV[3], ARGV[2])
redis.call('SADD', p .. ':sessions', ARGV[2])
redis.call('PUBLISH', p .. ':events', ARGV[6])
"""

# Only the login it belongs to may be deleted; a newer login of the member stays.
_DELETE_SESSION = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
local key = p .. ':session:' .. ARGV[2]
if redis.call('HGET', key, 'digest') ~= ARGV[3] then return 0 end
redis.call('DEL', key, p .. ':token:' .. ARGV[3])
redis.call('SREM', p .. ':sessions', ARGV[2])
redis.call('PUBLISH', p .. ':events', ARGV[4])
return 1
"""

_PUT_FIELD = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
local key = p .. ':session:' .. ARGV[2]
if redis.call('HGET', key, 'digest') ~= ARGV[3] then return 0 end
redis.call('HSET', key, ARGV[4], ARGV[5])
redis.call('PUBLISH', p .. ':events', ARGV[6])
return 1
"""

# The counters and their "last left" times change together; the message carries the result.
_COUNT = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
local key = p .. ':stats'
local n = redis.call('HINCRBY', key, ARGV[2], tonumber(ARGV[3]))
if n == 0 and tonumber(ARGV[3]) < 0 then
  redis.call('HSET', key, ARGV[4], ARGV[5])
else
  redis.call('HDEL', key, ARGV[4])
end
local flat = redis.call('HGETALL', key)
local stats = {}
for i = 1, #flat, 2 do stats[flat[i]] = flat[i + 1] end
redis.call('PUBLISH', p .. ':events', cjson.encode({w = ARGV[6], t = 'stats', stats = stats}))
"""

_PUT_VALUE = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
if ARGV[3] == '' then redis.call('DEL', p .. ':' .. ARGV[2]) else redis.call('SET', p .. ':' .. ARGV[2], ARGV[3]) end
redis.call('PUBLISH', p .. ':events', ARGV[4])
"""

# Of two simultaneous claims exactly one finds the host empty.
_CLAIM_HOST = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 0 then return redis.error_reply('NOROOM') end
local current = redis.call('GET', p .. ':host')
if current and current ~= ARGV[2] then return current end
if not current then
  redis.call('SET', p .. ':host', ARGV[2])
  redis.call('PUBLISH', p .. ':events', ARGV[3])
end
return ''
"""

# A Redis that lost its data (restarted without persistence, flushed) gets the room back
# from the first worker that reconnects: all of it in one step, or nothing if another
# worker was first. The epoch key marks a Redis that holds a room.
_RESTORE = """
local p = ARGV[1]
if redis.call('EXISTS', p .. ':epoch') == 1 then return 0 end
local room = cjson.decode(ARGV[2])
for _, s in ipairs(room.sessions) do
  redis.call('HSET', p .. ':session:' .. s.id, 'digest', s.digest, 'profile', s.profile, 'state', s.state)
  redis.call('SET', p .. ':token:' .. s.digest, s.id)
  redis.call('SADD', p .. ':sessions', s.id)
end
if room.host ~= '' then redis.call('SET', p .. ':host', room.host) end
redis.call('SET', p .. ':settings', room.settings)
redis.call('DEL', p .. ':stats')
for k, v in pairs(room.stats) do redis.call('HSET', p .. ':stats', k, v) end
redis.call('SET', p .. ':epoch', ARGV[3])
return 1
"""

Op = Callable[[], Awaitable[Any]]
NO_ROOM = "NOROOM"


class Acked:
    """A change a client waits for, which the writer may drop until it is on the wire."""

    def __init__(self, op: Op) -> None:
        self.op = op
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()  # True: written
        self.running = False  # an attempt is on the wire: its outcome is not known yet
        self.withdrawn = False

    def withdraw(self) -> bool:
        """Give up on the change; False while an attempt is on the wire (its outcome decides)."""
        self.withdrawn = True
        if self.running:
            return False
        self.settle(False)
        return True

    def settle(self, written: bool) -> None:
        if not self.done.done():
            self.done.set_result(written)


Item = Op | Acked | asyncio.Future[None]


class RedisBackend:
    def __init__(self, config: RedisConfig) -> None:
        self._prefix = config.prefix
        self._channel = f"{config.prefix}:events"
        self.worker = secrets.token_hex(8)
        # No retries inside redis-py: the writer retries in order, everything else answers 503.
        options: dict[str, Any] = {"retry": Retry(NoBackoff(), 0), "socket_connect_timeout": ACK_TIMEOUT}
        self._client = aioredis.Redis.from_url(config.url, socket_timeout=ACK_TIMEOUT, **options)
        # The subscription idles for long stretches; it must not time out.
        self._listener = aioredis.Redis.from_url(config.url, **options)
        self._scripts = {
            name: self._client.register_script(source)
            for name, source in {
                "put_session": _PUT_SESSION,
                "delete_session": _DELETE_SESSION,
                "put_field": _PUT_FIELD,
                "count": _COUNT,
                "put_value": _PUT_VALUE,
                "claim_host": _CLAIM_HOST,
                "restore": _RESTORE,
            }.items()
        }
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        # Ended sessions a restore brought back: written before anything queued behind them.
        self._redo: list[Acked] = []
        self._replica: Replica | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._synced = asyncio.Event()
        self._listening = False
        self.available = False
        # Our counter changes whose result has not come back on the channel yet: until it
        # has, the replica's counters (changed at once, here) are newer than any message.
        self._pending_counts = 0

    # ---
    # lifecycle
    # ---

    def attach(self, replica: Replica) -> None:
        self._replica = replica

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write_loop()), asyncio.create_task(self._listen_loop())]
        try:
            await asyncio.wait_for(self._synced.wait(), START_TIMEOUT)
        except TimeoutError:
            # Serve anyway: /health says 503 and the replica loads when Redis appears.
            log.warning("%s at start-up; will keep trying", UNAVAILABLE)

    async def stop(self) -> None:
        with contextlib.suppress(errors.BackingStoreUnavailable):
            await self.flush()  # best effort: what this worker changed last reaches the others
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()
        await self._listener.aclose()

    async def ping(self) -> None:
        await self._client.ping()
        if not self._listening:
            # Redis answers, but this worker does not hear the others yet (it is reloading).
            raise ConnectionError("not subscribed to the room's channel")

    # ---
    # changes made here
    # ---

    def put_session(self, session: Session) -> None:
        message = self._message("session", **_session_data(session))
        args = [session.id, session.token_digest.hex(), _profile(session), _state(session), message]
        self._run("put_session", args)

    def delete_session(self, session: Session) -> None:
        self._queue.put_nowait(self._deletion(session))

    async def end_session(self, session: Session) -> None:
        """Delete the session in Redis before anything else changes; 503 when that cannot be done."""
        change = Acked(self._deletion(session))
        self._queue.put_nowait(change)
        try:
            written = await asyncio.wait_for(asyncio.shield(change.done), ACK_TIMEOUT)
        except TimeoutError:
            # Still queued or between attempts: withdrawn, nothing changed. On the wire: wait
            # for that attempt (bounded by the socket timeout), as it may have been applied.
            written = False if change.withdraw() else await change.done
        if not written:
            raise errors.BackingStoreUnavailable(UNAVAILABLE)

    def _deletion(self, session: Session) -> Op:
        digest = session.token_digest.hex()
        args = [self._prefix, session.id, digest, self._message("deleted", id=session.id, digest=digest)]
        return lambda: self._scripts["delete_session"](args=args)

    def put_profile(self, session: Session) -> None:
        profile = session.profile.to_dict()
        message = self._message("profile", id=session.id, profile=profile)
        self._run("put_field", [session.id, session.token_digest.hex(), "profile", _json(profile), message])

    def put_state(self, session: Session, event: str | None) -> None:
        state = _state(session)
        message = self._message("state", id=session.id, state=session.state.to_dict(), event=event)
        self._run("put_field", [session.id, session.token_digest.hex(), "state", state, message])

    def count(self, is_admin: bool, delta: int) -> None:
        kind = "admins" if is_admin else "users"
        now = _iso(datetime.now(UTC))
        self._pending_counts += 1
        self._run("count", [f"total_{kind}", str(delta), f"last_{kind[:-1]}_left_at", now, self.worker])

    def put_host(self, host_id: str | None, changed_by: str) -> None:
        message = self._message("host", host_id=host_id, changed_by=changed_by)
        self._run("put_value", ["host", host_id or "", message])

    def put_settings(self, settings: Settings, changed_by: str) -> None:
        message = self._message("settings", settings=settings.to_dict(), changed_by=changed_by)
        self._run("put_value", ["settings", _json(settings.to_dict()), message])

    def control_requested(self, host_id: str, requested_by: str) -> None:
        self._publish(self._message("control_request", host_id=host_id, requested_by=requested_by))

    def close_remote(self, session_id: str, reason: str, *, replaced: bool = False) -> None:
        self._publish(self._message("close", id=session_id, reason=reason, replaced=replaced))

    def deliver(self, event: str, payload: Any, to: tuple[str, ...] | None, exclude: str | None) -> None:
        self._publish(self._message("deliver", event=event, payload=payload, to=to, exclude=exclude))

    def _run(self, script: str, args: list[str]) -> None:
        self._queue.put_nowait(lambda: self._scripts[script](args=[self._prefix, *args]))

    def _publish(self, message: str) -> None:
        self._queue.put_nowait(lambda: self._client.publish(self._channel, message))

    def _message(self, kind: str, **fields: Any) -> str:
        return _json({"w": self.worker, "t": kind, **fields})

    # ---
    # decisions taken in Redis
    # ---

    async def claim_host(self, session_id: str) -> str | None:
        await self.flush()  # earlier changes of this worker (a release, say) come first
        message = self._message("host", host_id=session_id, changed_by=session_id)
        holder = await self._call(self._scripts["claim_host"](args=[self._prefix, session_id, message]))
        holder = holder.decode() if isinstance(holder, bytes) else holder
        return holder or None

    # ---
    # reads the replica may not have yet
    # ---

    async def load(self, session_id: str) -> Session | None:
        found = await self._call(self._client.hgetall(self._key("session", session_id)))
        return self._adopt(session_id, found) if found else None

    async def load_by_token(self, token: str) -> Session | None:
        session_id = await self._call(self._client.get(self._key("token", token_digest(token).hex())))
        if session_id is None:
            return None
        session = await self.load(session_id.decode())
        return session if session is not None and same_token(session.token_digest, token) else None

    def _adopt(self, session_id: str, fields: dict[bytes, bytes]) -> Session:
        # Announced here: the channel's copy of this login will find it known and say nothing.
        return self._require_replica().apply_session(_session_from(session_id, fields))

    # ---
    # acknowledgement
    # ---

    async def require(self) -> None:
        await self._call(self._client.ping())

    async def flush(self) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        try:
            await asyncio.wait_for(asyncio.shield(done), ACK_TIMEOUT)
        except TimeoutError:
            raise errors.BackingStoreUnavailable(UNAVAILABLE) from None

    async def _call(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except (RedisError, OSError):
            self.available = False
            raise errors.BackingStoreUnavailable(UNAVAILABLE) from None

    def _key(self, *parts: str) -> str:
        return ":".join([self._prefix, *parts])

    def _require_replica(self) -> Replica:
        assert self._replica is not None, "attach() the replica first"
        return self._replica

    # ---
    # the writer: this worker's changes, in order, retried until Redis takes them
    # ---

    async def _write_loop(self) -> None:
        while True:
            item = self._redo.pop(0) if self._redo else await self._queue.get()
            if isinstance(item, asyncio.Future):
                if not item.done():
                    item.set_result(None)
            elif isinstance(item, Acked):
                if not item.withdrawn:
                    await self._write(item.op, item)
            else:
                await self._write(item)

    async def _write(self, op: Op, acked: Acked | None = None) -> None:
        failed = False
        while True:
            if acked is not None and acked.withdrawn:
                return  # its client was told 503: never retried
            try:
                if acked is not None:
                    acked.running = True
                # Back from an outage: a Redis that lost the room gets our replica, which
                # holds this change and every one queued behind it, except ended sessions.
                if failed and (covered := await self._restore()) is not None:
                    self._skip(covered)
                    if acked is not None:
                        await op()
                else:
                    await op()
                self.available = True
                if acked is not None:
                    acked.settle(True)
                return
            except (RedisError, OSError) as exc:
                lost = isinstance(exc, ResponseError) and str(exc).startswith(NO_ROOM)
                if self.available and not lost:
                    log.warning("%s (%s); changes wait until it is back", UNAVAILABLE, type(exc).__name__)
                self.available = self.available and lost
                failed = True
                if acked is not None:
                    acked.running = False
                    if acked.withdrawn:
                        acked.settle(False)  # the attempt its client waited for failed: 503
                        return
                if not lost:  # a Redis without the room is answered at once, by a restore
                    await asyncio.sleep(RETRY_DELAY)

    async def _restore(self) -> int | None:
        """Write the replica into a Redis that holds no room; how many queued changes it covered."""
        covered = self._queue.qsize()  # the snapshot below is taken before anything else is queued
        room = _json(_room(self._require_replica()))
        if not await self._scripts["restore"](args=[self._prefix, room, self.worker]):
            return None
        sessions = len(self._require_replica().sessions)
        log.info("redis held no room; wrote this worker's copy of it (%d sessions)", sessions)
        return covered

    def _skip(self, count: int) -> None:
        for _ in range(count):
            item = self._queue.get_nowait()
            if isinstance(item, Acked):
                self._redo.append(item)  # the replica still holds its session: it must follow
            elif isinstance(item, asyncio.Future) and not item.done():
                item.set_result(None)

    async def _drained(self) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(done)
        await done

    # ---
    # the listener: other workers' changes, applied to the replica and delivered
    # ---

    async def _listen_loop(self) -> None:
        while True:
            pubsub = self._listener.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                await self._drained()  # our queued changes first, then read the whole state
                await self._resync()
                self.available = self._listening = True
                self._synced.set()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._apply(orjson.loads(message["data"]))
            except (RedisError, OSError) as exc:
                if self._listening:
                    log.warning("%s (%s); replica frozen until it is back", UNAVAILABLE, type(exc).__name__)
                self.available = self._listening = False
                await asyncio.sleep(RETRY_DELAY)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _resync(self) -> None:
        """Load the shared state into the replica (start-up, and after an outage)."""
        replica = self._require_replica()
        client = self._client
        # The first worker seeds the room (its configuration, or its replica after a data
        # loss); the writer is drained, so the replica covers nothing still queued.
        await self._restore()
        self._pending_counts = 0  # what Redis holds now includes (or replaced) all of ours
        ids = sorted(member.decode() for member in await client.smembers(self._key("sessions")))
        async with client.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.hgetall(self._key("session", session_id))
            pipe.get(self._key("host"))
            pipe.get(self._key("settings"))
            pipe.hgetall(self._key("stats"))
            *found, host, settings, stats = await pipe.execute()
        shared = {sid: _session_from(sid, fields) for sid, fields in zip(ids, found, strict=True) if fields}
        replica.reconcile(shared, host.decode() if host else None, _settings(orjson.loads(settings)))
        replica.apply_stats(_stats(stats))

    def _apply(self, message: dict[str, Any]) -> None:
        handler = _APPLY.get(message.get("t", ""))
        own = message.get("w") == self.worker
        if message.get("t") == "stats":
            if own:
                self._pending_counts = max(self._pending_counts - 1, 0)
            if self._pending_counts:
                return  # a later result of ours is on its way, and it includes this one
        if handler is None or (own and message["t"] not in _APPLY_OWN):
            return
        try:
            handler(self._require_replica(), message)
        except Exception:
            log.exception("could not apply %s from another worker", message.get("t"))


# ---
# applying messages to a replica
# ---


def _apply_session(replica: Replica, message: dict[str, Any]) -> None:
    session = Session(message["id"], bytes.fromhex(message["digest"]), MemberProfile.from_dict(message["profile"]))
    session.state = _state_from(message["state"])
    replica.apply_session(session)


def _apply_deleted(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_deleted(message["id"], bytes.fromhex(message["digest"]))


def _apply_profile(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_profile(message["id"], MemberProfile.from_dict(message["profile"]))


def _apply_state(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_state(message["id"], _state_from(message["state"]))


def _apply_stats(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_stats(_stats({k.encode(): str(v).encode() for k, v in message["stats"].items()}))


def _apply_host(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_host(message["host_id"], message["changed_by"])


def _apply_settings(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_settings(_settings(message["settings"]), message["changed_by"])


def _apply_control_request(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_control_request(message["host_id"], message["requested_by"])


def _apply_close(replica: Replica, message: dict[str, Any]) -> None:
    replica.apply_close(message["id"], message["reason"], replaced=message["replaced"])


def _apply_deliver(replica: Replica, message: dict[str, Any]) -> None:
    to = message["to"]
    replica.apply_delivery(
        Delivered(message["event"], message["payload"], None if to is None else tuple(to), message["exclude"])
    )


_APPLY: dict[str, Callable[[Replica, dict[str, Any]], None]] = {
    "session": _apply_session,
    "deleted": _apply_deleted,
    "profile": _apply_profile,
    "state": _apply_state,
    "stats": _apply_stats,
    "host": _apply_host,
    "settings": _apply_settings,
    "control_request": _apply_control_request,
    "close": _apply_close,
    "deliver": _apply_deliver,
}
# Races between workers are decided by the channel order, so these apply even when they are ours.
_APPLY_OWN = frozenset({"session", "stats"})


# ---
# encoding
# ---


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _room(replica: Replica) -> dict[str, Any]:
    """The replica, as the restore script takes it."""
    stats = replica.stats
    counters = {
        "server_started_at": _iso(stats.server_started_at),
        "total_users": str(stats.total_users),
        "total_admins": str(stats.total_admins),
    }
    for name in ("last_user_left_at", "last_admin_left_at"):
        moment = getattr(stats, name)
        if moment is not None:
            counters[name] = _iso(moment)
    sessions = [
        {"id": s.id, "digest": s.token_digest.hex(), "profile": _profile(s), "state": _state(s)} for s in replica.all()
    ]
    return {
        "sessions": sessions,
        "host": replica.host_id or "",
        "settings": _json(replica.settings.to_dict()),
        "stats": counters,
    }


def _session_data(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "digest": session.token_digest.hex(),
        "profile": session.profile.to_dict(),
        "state": session.state.to_dict(),
    }


def _profile(session: Session) -> str:
    return _json(session.profile.to_dict())


def _state(session: Session) -> str:
    return _json(session.state.to_dict())


def _state_from(data: dict[str, Any]) -> SessionState:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(SessionState):
        value = data.get(f.name)
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value is not None:
            values[f.name] = value
    return SessionState(**values)


def _session_from(session_id: str, fields: dict[bytes, bytes]) -> Session:
    session = Session(
        session_id, bytes.fromhex(fields[b"digest"].decode()), MemberProfile.from_dict(orjson.loads(fields[b"profile"]))
    )
    session.state = _state_from(orjson.loads(fields[b"state"]))
    return session


def _settings(data: dict[str, Any]) -> Settings:
    known = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in data.items() if k in known})


def _stats(fields: dict[bytes, bytes]) -> dict[str, Any]:
    """The stats hash as the replica takes it: counters as numbers, moments as datetimes."""

    def moment(name: str) -> datetime | None:
        raw = fields.get(name.encode())
        return datetime.fromisoformat(raw.decode()) if raw else None

    return {
        "total_users": int(fields.get(b"total_users", b"0")),
        "total_admins": int(fields.get(b"total_admins", b"0")),
        "last_user_left_at": moment("last_user_left_at"),
        "last_admin_left_at": moment("last_admin_left_at"),
        "server_started_at": moment("server_started_at"),
    }
