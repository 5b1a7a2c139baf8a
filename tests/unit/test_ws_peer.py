"""Peers that write prebuilt frames: one write per socket and turn, order, goodbyes, slow clients."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.frames import Frame, Opcode

from nekoapi.sessions import reasons
from nekoapi.ws import protocol
from nekoapi.ws.peer import Flusher, FramePeer


class FakeWriter:
    """A transport whose client takes ``taking`` bytes of every write (all of it by default)."""

    def __init__(self, taking: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.parted_writes = 0
        self.buffered = 0
        self.taking = taking
        self.closed_with: tuple[int, str] | None = None
        self.open = True

    def write_frames(self, data: bytes | list[bytes]) -> bool:
        if not self.open:
            return False
        if isinstance(data, list):
            self.parted_writes += 1
            data = b"".join(data)
        self.writes.append(data)
        self.buffered += len(data) - min(len(data), self.taking if self.taking is not None else len(data))
        return True

    def write_buffer_size(self) -> int:
        return self.buffered

    def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
        self.open = False

    def messages(self) -> list[Any]:
        """What the client reads, message by message."""
        out, data = [], b"".join(self.writes)
        while data:
            size, start = data[1], 2
            if size == 126:
                size, start = int.from_bytes(data[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(data[2:10], "big"), 10
            out.append(orjson.loads(data[start : start + size]))
            data = data[start + size :]
        return out


def make_peer(writer: FakeWriter, queue_size: int = 16) -> tuple[FramePeer, list[int]]:
    counted: list[int] = []
    return FramePeer(writer, Flusher(counted.append), queue_size, 1 << 22), counted


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536])
def test_frames_are_what_the_websockets_library_would_send(size: int) -> None:
    data = b"x" * size
    assert protocol.text_frame(data) == Frame(Opcode.TEXT, data).serialize(mask=False, extensions=[])
    assert protocol.frame_text(protocol.text_frame(data)) == data.decode()


@pytest.mark.parametrize(
    ("payload", "members"),
    [
        ({"session_id": "a", "settings": {"x": 1}}, {"a": {"id": "a"}, "b": {"id": "b", "n": [1, 2]}}),
        ({}, {}),
        ({"big": "y" * 70_000}, {f"s{n}": {"id": f"s{n}"} for n in range(2_000)}),
    ],
)
def test_a_frame_in_parts_reads_as_the_whole_message(payload: dict[str, Any], members: dict[str, Any]) -> None:
    inside = orjson.dumps(members)[1:-1]
    parts = protocol.parted_frame("system/init", payload, "sessions", inside)
    assert any(part is inside for part in parts)  # shared, not copied
    whole = b"".join(parts)
    expected = {"event": "system/init", "payload": {**payload, "sessions": members}}
    assert len(whole) == len(protocol.frame("system/init", expected["payload"]))  # the same header and length
    writer = FakeWriter()
    writer.writes.append(whole)
    assert writer.messages() == [expected]


async def test_a_frame_in_parts_is_handed_to_the_transport_in_parts_between_the_others() -> None:
    writer = FakeWriter()
    peer, counted = make_peer(writer)
    peer.send("test/event", {"n": 1})
    peer.send_frame(protocol.parted_frame("system/init", {"session_id": "a"}, "sessions", b'"a":{"id":"a"}'))
    peer.send("test/event", {"n": 2})
    await asyncio.sleep(0)
    assert writer.parted_writes == 1 and counted == [3]
    assert writer.messages() == [
        {"event": "test/event", "payload": {"n": 1}},
        {"event": "system/init", "payload": {"session_id": "a", "sessions": {"a": {"id": "a"}}}},
        {"event": "test/event", "payload": {"n": 2}},
    ]
    peer.send("test/event", {"n": 3})
    await asyncio.sleep(0)
    assert writer.parted_writes == 1  # the next turn has no parts: joined into one write again


async def test_a_turn_of_messages_is_one_write_in_order_and_counted_once() -> None:
    writer = FakeWriter()
    peer, counted = make_peer(writer)
    for n in range(5):
        peer.send("test/event", {"n": n})
    assert writer.writes == []  # nothing before the end of the turn
    await asyncio.sleep(0)
    assert len(writer.writes) == 1
    assert [m["payload"]["n"] for m in writer.messages()] == [0, 1, 2, 3, 4]
    assert counted == [5]


async def test_the_goodbye_is_written_at_once_after_what_was_queued_and_nothing_follows() -> None:
    writer = FakeWriter()
    peer, counted = make_peer(writer)
    peer.send("test/event", {"n": 1})
    peer.destroy(reasons.DISCONNECTED)
    assert [m["event"] for m in writer.messages()] == ["test/event", "system/disconnect"]
    assert writer.closed_with == (1000, reasons.DISCONNECTED)
    peer.send("test/event", {"n": 2})
    await asyncio.sleep(0)
    assert len(writer.messages()) == 2 and counted == [2]


async def test_a_client_that_stops_taking_messages_is_closed_as_too_slow() -> None:
    writer = FakeWriter(taking=0)
    peer, _ = make_peer(writer, queue_size=3)
    for n in range(10):
        peer.send("test/event", {"n": n})
        await asyncio.sleep(0)
    assert peer.too_slow and peer.closing
    assert writer.closed_with == (1000, reasons.TOO_SLOW)
    events = writer.messages()
    assert len(events) == 4  # the three it may have pending, then the goodbye
    assert events[-1] == {"event": "system/disconnect", "payload": {"message": "connection too slow"}}


async def test_messages_the_client_took_no_longer_count_against_it() -> None:
    writer = FakeWriter(taking=0)
    peer, _ = make_peer(writer, queue_size=3)
    for n in range(10):
        peer.send("test/event", {"n": n})
        await asyncio.sleep(0)
        writer.buffered = 0  # the client reads everything before the next turn
    assert not peer.closing
    assert len(writer.messages()) == 10


async def gone_under_a_write() -> tuple[FramePeer, list[int]]:
    """A peer that wrote to a socket the client had closed already."""
    writer = FakeWriter()
    peer, counted = make_peer(writer)
    writer.open = False
    peer.send("test/event", {"n": 1})
    await asyncio.sleep(0)
    return peer, counted


async def test_a_socket_closed_underneath_stops_the_peer() -> None:
    peer, counted = await gone_under_a_write()
    assert peer.closing and counted == []
    assert not peer.closed_by_server  # the client went away: its close is the client's


def _ended_publishes(peer: FramePeer) -> list[Any]:
    from types import SimpleNamespace

    from nekoapi.web import websocket

    published: list[Any] = []
    services = SimpleNamespace(
        bus=SimpleNamespace(publish=published.append), sessions=SimpleNamespace(peer_closed=lambda *a, **k: None)
    )
    websocket._ended(services, SimpleNamespace(id="s1"), peer, abnormal=False)  # type: ignore[arg-type]
    return published


async def test_a_client_close_counts_even_when_a_write_found_the_socket_gone_first() -> None:
    # The metrics' "client closed" used to miss closes that raced a broadcast to the same socket.
    from nekoapi.events import SocketClosed

    peer, _ = await gone_under_a_write()
    assert _ended_publishes(peer) == [SocketClosed("s1", "client closed")]


async def test_a_close_the_server_said_goodbye_for_is_not_counted_again_as_the_clients() -> None:
    writer = FakeWriter()
    peer, _ = make_peer(writer)
    peer.destroy("kicked")
    assert peer.closed_by_server
    assert _ended_publishes(peer) == []
