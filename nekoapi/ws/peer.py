"""A connected WebSocket as the session sees it; sending never blocks.

Messages arrive as complete frames (``protocol.frame``), so a broadcast is encoded
and framed once. Two ways to deliver them:

- ``FramePeer`` writes them straight to the transport of a server that offers it
  (``nekoapi serve``): each socket's frames of one event-loop turn are joined and
  written once by the ``Flusher``, so a burst of events costs one write per socket.
- ``QueuedPeer`` drains a bounded outbox with a writer task through an ordinary
  ``Connection`` (any ASGI server, in-process clients).

Either way, one slow client cannot hold up the code that broadcasts to everyone: a
client with more than ``queue_size`` messages, or more than ``queue_bytes`` bytes, it
has not taken is closed as too slow. (The byte check comes before a message is added,
so one message larger than the cap, a big room's system/init, still goes out.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from ..sessions import reasons
from ..types import Connection, Frame
from . import protocol

log = logging.getLogger(__name__)

NORMAL_CLOSURE = 1000


class WebSocketPeer:
    """The ``types.Peer`` the sessions hold; the subclasses deliver."""

    __slots__ = ("_close_reason", "_stopped", "too_slow")

    def __init__(self) -> None:
        self._close_reason: str | None = None
        self._stopped = False
        # Set when the client stopped taking messages: its session leaves at once.
        self.too_slow = False

    @property
    def closing(self) -> bool:
        return self._close_reason is not None or self._stopped

    @property
    def closed_by_server(self) -> bool:
        """The server said goodbye (``destroy``); a write that found the socket gone is not that."""
        return self._close_reason is not None

    def send(self, event: str, payload: Any) -> None:
        if not self.closing:
            self.send_frame(protocol.frame(event, payload))

    def send_frame(self, frame: Frame) -> None:
        raise NotImplementedError

    def destroy(self, reason: str) -> None:
        """Tell the client why with ``system/disconnect``, then close the socket."""
        raise NotImplementedError

    def stop(self) -> None:
        """The socket is gone already: send nothing more."""
        self._stopped = True

    def _overflowed(self) -> None:
        self.too_slow = True
        self.destroy(reasons.TOO_SLOW)


# ---
# frames written to the transport
# ---


class FrameWriter(Protocol):
    """The socket underneath a ``FramePeer`` (nekoapi.web.frames offers it)."""

    def write_frames(self, data: bytes | list[bytes]) -> bool: ...  # a list: written as is, not joined

    def write_buffer_size(self) -> int: ...

    def close(self, code: int, reason: str) -> None: ...


class Flusher:
    """Writes the frames every peer was given, soon after: one write per peer and turn.

    A write to a socket is a system call (~5-15 us on loopback), so a broadcast to
    thousands of sockets takes milliseconds. It goes out in slices of ``SLICE`` seconds,
    letting the event loop read in between: a client answering its close frame, or a
    request, does not wait until the last socket has been written.
    """

    SLICE = 0.001

    def __init__(self, sent: Callable[[int], None]) -> None:
        self._dirty: deque[FramePeer] = deque()
        self._sent = sent  # told how many messages went out, once per slice

    def mark(self, peer: FramePeer) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(peer)

    def counted(self, messages: int) -> None:
        self._sent(messages)

    def _flush(self) -> None:
        dirty = self._dirty
        deadline = time.perf_counter() + self.SLICE
        count = written = 0
        while dirty:
            count += dirty.popleft().flush()
            written += 1
            if written % 16 == 0 and time.perf_counter() > deadline:
                if dirty:
                    asyncio.get_running_loop().call_soon(self._flush)
                break
        if count:
            self._sent(count)


class FramePeer(WebSocketPeer):
    __slots__ = ("_byte_limit", "_flusher", "_frames", "_limit", "_parted", "_unsent", "_writer", "_written")

    def __init__(self, writer: FrameWriter, flusher: Flusher, queue_size: int, queue_bytes: int) -> None:
        super().__init__()
        self._writer = writer
        self._flusher = flusher
        self._limit = queue_size
        self._byte_limit = queue_bytes
        self._frames: list[Frame] = []
        self._parted = False  # a frame in parts (a large system/init) waits in _frames
        self._written = 0  # bytes handed to the transport so far
        # (end offset, messages) of writes the transport still holds; empty while it keeps up.
        self._unsent: list[tuple[int, int]] = []

    def send_frame(self, frame: Frame) -> None:
        # Once per recipient of every broadcast: kept to the bare minimum.
        if self._close_reason is not None or self._stopped:
            return
        frames = self._frames
        if not frames:
            self._flusher.mark(self)
        if type(frame) is tuple:
            self._parted = True
        frames.append(frame)

    def flush(self) -> int:
        """Write the queued frames; the number of messages written."""
        frames, self._frames = self._frames, []
        if not frames or self.closing:
            return 0
        if self._backlog() + len(frames) > self._limit or self._writer.write_buffer_size() > self._byte_limit:
            self._overflowed()
            return 0
        return len(frames) if self._write(frames) else 0

    def destroy(self, reason: str) -> None:
        if self.closing:
            return
        frames, self._frames = self._frames, []
        if self.too_slow:
            frames = []  # what it did not take is dropped; the goodbye still goes last
        frames.append(protocol.frame(protocol.SYSTEM_DISCONNECT, {"message": reason}))
        self._close_reason = reason
        # Written now, not at the end of the turn: the closing client does not wait
        # behind whatever this turn sends to everyone else.
        if self._write(frames):
            self._flusher.counted(len(frames))
        self._writer.close(NORMAL_CLOSURE, reason)

    def _write(self, frames: list[Frame]) -> bool:
        data: bytes | list[bytes]
        if self._parted:
            # Handed over in parts: joining would copy a multi-MB system/init once more.
            self._parted = False
            data = [part for frame in frames for part in (frame if type(frame) is tuple else (frame,))]
            size = sum(map(len, data))
        else:
            data = frames[0] if len(frames) == 1 else b"".join(frames)  # type: ignore[arg-type]
            size = len(data)
        if not self._writer.write_frames(data):
            self._stopped = True  # closed underneath us; the reader learns it from the server
            return False
        self._written += size
        if self._writer.write_buffer_size():
            self._unsent.append((self._written, len(frames)))
        return True

    def _backlog(self) -> int:
        """Messages written earlier that the client has not taken yet."""
        if not self._unsent:
            return 0
        taken = self._written - self._writer.write_buffer_size()
        unsent = self._unsent
        while unsent and unsent[0][0] <= taken:
            unsent.pop(0)
        return sum(count for _, count in unsent)


# ---
# an outbox drained by a writer task
# ---


class QueuedPeer(WebSocketPeer):
    __slots__ = ("_byte_limit", "_connection", "_limit", "_outbox", "_outbox_bytes", "_wakeup", "overflow")

    def __init__(self, connection: Connection, queue_size: int, queue_bytes: int) -> None:
        super().__init__()
        self._connection = connection
        self._outbox: deque[bytes] = deque()
        self._outbox_bytes = 0
        self._limit = queue_size
        self._byte_limit = queue_bytes
        self._wakeup = asyncio.Event()
        # The writer may be stuck sending to the client that does not read; the
        # endpoint watches this to let the session go without it.
        self.overflow = asyncio.Event()

    def send_frame(self, frame: Frame) -> None:
        if self.closing:
            return
        if type(frame) is tuple:
            frame = b"".join(frame)
        if len(self._outbox) >= self._limit or self._outbox_bytes > self._byte_limit:
            self._outbox.clear()
            self._outbox_bytes = 0
            self._overflowed()
            self.overflow.set()
            return
        self._outbox.append(frame)
        self._outbox_bytes += len(frame)
        self._wakeup.set()

    def destroy(self, reason: str) -> None:
        if self.closing:
            return
        self._outbox.append(self.goodbye(reason))
        self._close_reason = reason
        self._wakeup.set()

    def goodbye(self, reason: str) -> bytes:
        """The last message before the close frame (Neko's v2 layer says it in v2's words)."""
        return protocol.frame(protocol.SYSTEM_DISCONNECT, {"message": reason})

    def stop(self) -> None:
        super().stop()
        self._wakeup.set()

    async def run_writer(self) -> None:
        try:
            while not self._stopped:
                while self._outbox and not self._stopped:
                    frame = self._outbox.popleft()
                    self._outbox_bytes -= len(frame)
                    await self._connection.send_text(protocol.frame_text(frame))
                if self._close_reason is not None:
                    await self._connection.close(NORMAL_CLOSURE, self._close_reason)
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
        except ConnectionError as exc:  # the client went away mid-send
            log.debug("websocket writer stopped: %r", exc)
        except Exception:
            log.exception("websocket writer failed")
        finally:
            self._stopped = True
