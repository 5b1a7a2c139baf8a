from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server

from .v2client import V2Client

Connect = Callable[..., Awaitable[V2Client]]


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server(make_config()) as running:
        yield running


@pytest.fixture
async def connect(server: LiveServer) -> AsyncIterator[Connect]:
    """Opens a v2 socket as Neko's v2 UI does; ``greeted``: read up to its ``signal/provide``."""
    clients: list[V2Client] = []

    async def make(name: str, *, admin: bool = False, greeted: bool = True) -> V2Client:
        client = await V2Client.connect(server.port, ADMIN_PASSWORD if admin else USER_PASSWORD, name)
        clients.append(client)
        if greeted:
            client.greeting = await client.events_until("signal/provide")
            client.id = client.greeting[-1]["id"]
        return client

    yield make
    for client in clients:
        await client.close()
