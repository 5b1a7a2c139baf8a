"""In-process contract tests run on the SQLite provider, so that member operations really run.

The seeded members: ``admin`` (created at first start) and ``user``, with the
passwords the client helpers log in with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.client import ApiClient, api_client
from tests.support.factory import USER_PASSWORD, make_config


@pytest.fixture
async def client() -> AsyncIterator[ApiClient]:
    async with api_client(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as c:
        admin = await c.login_admin()
        created = await c.post(
            "/api/members", json={"username": "user", "password": USER_PASSWORD}, headers=admin.bearer
        )
        assert created.status_code == 200, created.text
        yield c
