from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.client import ApiClient
from tests.support.live import LiveServer


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[ApiClient]:
    """An HTTP client talking to the real server over loopback."""
    async with ApiClient(base_url=server.http_url, timeout=10) as client:
        yield client
