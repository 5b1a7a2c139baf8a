"""The uvicorn protocol of ``nekoapi serve``: prebuilt frames go out only while the socket is open."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from nekoapi.web.frames import EXTENSION, FrameWebSocketProtocol
from nekoapi.ws import protocol
from tests.support.patience import REPLY
from tests.support.transport import RecordingTransport

HANDSHAKE = (
    b"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def test_frames_are_written_between_the_accept_and_the_close_only() -> None:
    seen: dict[str, Any] = {}
    done = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        frames = scope["extensions"][EXTENSION]
        seen["before accept"] = frames.write_frames(protocol.frame("test/event", 0))
        await receive()
        await send({"type": "websocket.accept"})
        seen["open"] = frames.write_frames(protocol.frame("test/event", 1))
        seen["in parts"] = frames.write_frames(list(protocol.parted_frame("test/parts", {}, "sessions", b'"a":1')))
        seen["closed"] = frames.close_now(1000, "bye")
        seen["after close"] = frames.write_frames(protocol.frame("test/event", 2))
        seen["second close"] = frames.close_now(1000, "again")
        seen["receive"] = await receive()
        done.set()

    config = uvicorn.Config(app, ws=FrameWebSocketProtocol, ws_ping_interval=None, log_level="warning")
    config.load()
    proto = FrameWebSocketProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    transport = RecordingTransport()
    proto.connection_made(transport)
    proto.data_received(HANDSHAKE)
    await asyncio.wait_for(done.wait(), REPLY)

    assert seen == {
        "before accept": False,
        "open": True,
        "in parts": True,
        "closed": True,
        "after close": False,
        "second close": False,
        "receive": {"type": "websocket.disconnect", "code": 1000, "reason": "bye"},
    }
    assert transport.written[0].startswith(b"HTTP/1.1 101")
    assert transport.written[1] == protocol.frame("test/event", 1)
    assert transport.written[2] == protocol.frame("test/parts", {"sessions": {"a": 1}})
    assert transport.written[3] == b"\x88\x05\x03\xe8bye"  # the close frame, code 1000
    assert len(transport.written) == 4
    proto.close_timer.cancel()  # type: ignore[union-attr]


async def test_the_light_inbox_and_flag_behave_like_asyncio_queue_and_event() -> None:
    config = uvicorn.Config(lambda *a: None, ws=FrameWebSocketProtocol, log_level="warning")
    config.load()
    proto = FrameWebSocketProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    inbox, writable = proto.queue, proto.writable
    assert inbox.empty() and writable.is_set()
    getter = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await getter == 1 and not inbox.empty() and await inbox.get() == 2
    cancelled = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    cancelled.cancel()
    inbox.put_nowait(3)  # not lost to the cancelled reader
    assert await inbox.get() == 3

    writable.clear()
    waiter = asyncio.create_task(writable.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    writable.set()
    assert await waiter is True


async def test_uvicorns_shutdown_lets_the_application_say_goodbye_before_its_close() -> None:
    goodbye = protocol.frame(protocol.SYSTEM_DISCONNECT, {"message": "server shutdown"})
    accepted, ended = asyncio.Event(), asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        frames = scope["extensions"][EXTENSION]
        await receive()
        await send({"type": "websocket.accept"})
        frames.farewell = lambda: frames.write_frames(goodbye) and frames.close_now(1000, "server shutdown")
        accepted.set()
        await receive()
        ended.set()

    config = uvicorn.Config(app, ws=FrameWebSocketProtocol, ws_ping_interval=None, log_level="warning")
    config.load()
    proto = FrameWebSocketProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    transport = RecordingTransport()
    proto.connection_made(transport)
    proto.data_received(HANDSHAKE)
    await asyncio.wait_for(accepted.wait(), REPLY)

    proto.shutdown()  # what uvicorn's server does to every connection still open
    await asyncio.wait_for(ended.wait(), REPLY)
    assert transport.written[1:] == [goodbye, b"\x88\x11\x03\xe8server shutdown"]  # then code 1000, not 1012
    assert transport.closing


async def test_a_closed_socket_lets_go_of_its_farewell() -> None:
    # The farewell holds the application's peer, which holds the protocol: kept, they would be a
    # cycle that only the collector frees, for every socket that ever closed.
    config = uvicorn.Config(lambda *a: None, ws=FrameWebSocketProtocol, log_level="warning")
    config.load()
    proto = FrameWebSocketProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    proto.connection_made(RecordingTransport())
    proto.farewell = lambda: None
    proto.connection_lost(None)
    assert proto.farewell is None
