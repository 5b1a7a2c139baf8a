from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from nekoapi.media.pulse import PulseServer
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost, namespace

from .client import Viewer
from .desktop import Painter, xvfb
from .server import media_server as running

Join = Callable[..., Awaitable[Viewer]]


@pytest.fixture(scope="session")
def media_display() -> Iterator[str]:
    with xvfb(1280, 720) as display:
        yield display


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    server = PulseServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def painter(media_display: str) -> Iterator[Painter]:
    painter = Painter(media_display)
    yield painter
    painter.close()


@pytest.fixture
def media_server(media_display: str, pulse: PulseServer) -> Iterator[LiveServer]:
    with running(media_display, pulse) as server:
        yield server


@pytest.fixture
def link() -> Iterator[Link]:
    with namespace() as made:
        yield made


@pytest.fixture
async def remote(link: Link) -> AsyncIterator[RemoteHost]:
    host = RemoteHost(link.namespace)
    yield host
    host.stop()


@pytest.fixture
async def join(media_server: LiveServer) -> AsyncIterator[Join]:
    """Logs a member in over HTTP and opens its WebSocket; closed after the test."""
    clients: list[Viewer] = []

    async def make(name: str, *, admin: bool = False) -> Viewer:
        client = Viewer(media_server.http_url, media_server.ws_url())
        clients.append(client)
        await client.login(name, ADMIN_PASSWORD if admin else USER_PASSWORD)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def viewer(join: Join) -> Viewer:
    return await join("alice")
