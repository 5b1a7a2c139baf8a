from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from nekoapi.config import Config
from nekoapi.desktop.xserver import XServer

from .support.client import ApiClient, api_client
from .support.events import server_violations
from .support.factory import make_config
from .support.live import LiveServer, live_server
from .support.patience import REPLY
from .support.redis import delete_run_keys, store_under_test
from .support.xdisplay import running_x_server


def pytest_report_header() -> str:
    return f"nekoapi session store under test: {store_under_test()} (NEKO_TEST_STORE)"


@pytest.fixture(scope="session", autouse=True)
def _redis_keys() -> Iterator[None]:
    yield
    delete_run_keys()  # this run's keys only (their prefix names our process)


@pytest.fixture(autouse=True)
def _server_events_follow_the_contract() -> Iterator[None]:
    """A live server that sent an event its spec does not declare fails the test it happened in
    (tests/support/events.py); test clients' own checks catch it on reading, this one catches what
    no client of ours read (Chromium's page, unread events)."""
    start = len(server_violations)
    yield
    found = server_violations[start:]
    del server_violations[start:]
    if found:
        pytest.fail(f"the server sent what its contract does not declare: {found[0]} ({len(found)} in all)")


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
async def client(config: Config) -> AsyncIterator[ApiClient]:
    async with api_client(config) as c:
        yield c


@pytest.fixture
def frames() -> bool:
    """Whether the live server writes frames directly (as ``nekoapi serve``); parametrize to
    run a test on the ASGI path too."""
    return True


@pytest.fixture
def server(config: Config, frames: bool) -> Iterator[LiveServer]:
    with live_server(config, frames=frames) as s:
        yield s


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[ApiClient]:
    """An HTTP client talking to the real server over loopback."""
    async with ApiClient(base_url=server.http_url, timeout=REPLY) as c:
        yield c


@pytest.fixture(scope="session")
def x_server() -> Iterator[XServer]:
    """One real X server for the whole run (Xorg-dummy, else Xvfb); ``x_server.display`` is its name.
    Tests that change its state (screen size, layout, locks) put it back."""
    with running_x_server() as server:
        yield server
