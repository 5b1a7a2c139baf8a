from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nekoapi.config import Config

from ..support.client import ApiClient, Login, api_client
from ..support.factory import ADMIN_PASSWORD, make_config
from ..support.stores import STORES, seed_neko_file, store_env


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """A fresh store of each kind holding one administrator, ``admin`` / ``ADMIN_PASSWORD``."""
    async with store_env(request.param, tmp_path) as env:
        if request.param == "file":
            seed_neko_file(tmp_path / "members.json", ADMIN_PASSWORD)
        yield env


@pytest.fixture
def store_config(store: dict[str, str]) -> Config:
    return make_config(**store)


@pytest.fixture
async def members(store_config: Config) -> AsyncIterator[ApiClient]:
    async with api_client(store_config) as client:
        yield client


@pytest.fixture
async def admin(members: ApiClient) -> Login:
    return await members.login("admin", ADMIN_PASSWORD)
