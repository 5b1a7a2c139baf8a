"""A raw ICE-TCP client for the tcpmux tests: RFC 4571 frames on a TCP connection, and STUN checks signed
with a viewer's server-side credentials."""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct

from aioice import stun

from nekoapi.media.tcpmux import FRAME_HEADER
from tests.support.netns import RemoteHost

from .client import Viewer
from .test_udpmux import binding_request


class Framed:
    """(On the remote host.) A raw ICE-TCP connection: RFC 4571 frames out and in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def to(cls, target: tuple[str, int]) -> Framed:
        return cls(*await asyncio.open_connection(*target))

    async def send(self, *frames: bytes, length: int | None = None) -> None:
        for frame in frames:
            self.writer.write(FRAME_HEADER.pack(len(frame) if length is None else length) + frame)
        await self.writer.drain()

    async def frames(self, quiet: float = 1.0) -> list[bytes] | None:
        """What comes back within ``quiet`` s of the last frame; None once the server closed the connection."""
        found: list[bytes] = []
        while True:
            try:
                (length,) = struct.unpack("!H", await asyncio.wait_for(self.reader.readexactly(2), quiet))
                found.append(await self.reader.readexactly(length))
            except TimeoutError:
                return found
            except (asyncio.IncompleteReadError, ConnectionError):
                return None

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def ice_credentials(sdp: str) -> tuple[str, str]:
    ufrag, password = re.search(r"a=ice-ufrag:(\S+)", sdp), re.search(r"a=ice-pwd:(\S+)", sdp)
    assert ufrag is not None and password is not None
    return ufrag[1], password[1]


def answered(frames: list[bytes] | None, request: bytes) -> bool:
    """Whether ``frames`` hold the success response to ``request``."""
    ours = stun.parse_message(request).transaction_id
    for frame in frames or []:
        message = stun.parse_message(frame)
        if message.transaction_id == ours and message.message_class == stun.Class.RESPONSE:
            return True
    return False


async def routed(remote: RemoteHost, target: tuple[str, int], viewer: Viewer) -> tuple[Framed, bytes]:
    """A raw connection whose first frame is an ICE-TCP check signed with the viewer's server-side
    credentials, and the check (which the server answered, framed, on that connection)."""
    ours, password = ice_credentials(viewer.provide["sdp"])
    theirs, _ = ice_credentials(viewer.pc.localDescription.sdp)
    check = binding_request(f"{ours}:{theirs}", password)
    connection = await remote.run(Framed.to(target))
    await remote.run(connection.send(check))
    assert answered(await remote.run(connection.frames()), check)
    return connection, check
