"""An in-process HTTP client for the ASGI app, with its lifespan running."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from nekoapi.config import Config
from nekoapi.web.app import NekoServer, create_app

from .declared import declared_responses_only
from .factory import ADMIN_PASSWORD, USER_PASSWORD
from .patience import START, STOP


@dataclass
class Login:
    id: str
    token: str
    body: dict[str, Any]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class ApiClient(httpx.AsyncClient):
    """httpx client with the app attached and login helpers."""

    app: NekoServer

    async def login(self, username: str, password: str) -> Login:
        response = await self.post("/api/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        body = response.json()
        return Login(body["id"], body.get("token", ""), body)

    async def login_admin(self, username: str = "admin") -> Login:
        return await self.login(username, ADMIN_PASSWORD)

    async def login_user(self, username: str = "user") -> Login:
        return await self.login(username, USER_PASSWORD)


@contextlib.asynccontextmanager
async def api_client(config: Config, overrides: Mapping[str, Any] | None = None) -> AsyncIterator[ApiClient]:
    """``overrides``: parts of the app replaced from the start, as ``Services`` takes them."""
    app = create_app(config, validate_responses=True, overrides=overrides)
    async with LifespanManager(app, startup_timeout=START, shutdown_timeout=STOP) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        # A response the spec does not declare fails the test.
        hooks = {"response": [declared_responses_only(config.server.path_prefix)]}
        async with ApiClient(transport=transport, base_url="http://testserver", event_hooks=hooks) as client:
            client.app = app
            yield client
