"""``create_app(config)``: the Connexion API from the spec, the ``/api/ws`` socket, one lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from connexion.exceptions import ProblemException
from connexion.options import SwaggerUIOptions
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from ..config import Config
from ..errors import NekoError
from ..services import Services
from .errors import on_domain_error, on_http_error, on_unexpected_error
from .fastpath import VALIDATORS, PrebuiltAsyncApp
from .hardening import HardeningMiddleware
from .resolver import HandlerResolver
from .security import SECURITY_MAP
from .spec import load_spec, operations
from .state import STATE_KEY
from .websocket import websocket_endpoint

WEBSOCKET_PATH = "/api/ws"


class NekoServer:
    """The ASGI app: WebSocket scopes go to ``/api/ws``, everything else to Connexion."""

    def __init__(self, services: Services, api: PrebuiltAsyncApp) -> None:
        self.services = services
        self.connexion = api
        self.api = HardeningMiddleware(api, services.config.server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.connexion(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = self.services
        if scope["type"] == "websocket":
            if scope["path"] == WEBSOCKET_PATH:
                await websocket_endpoint(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "not found"})
            return
        await self.api(scope, receive, send)


def create_app(config: Config, *, validate_responses: bool = False) -> NekoServer:
    services = Services(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    spec = load_spec(config)
    api = PrebuiltAsyncApp(
        __name__,
        lifespan=lifespan,
        security_map=SECURITY_MAP,
        validator_map=VALIDATORS,
        pythonic_params=True,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False),
    )
    api.add_api(spec, resolver=HandlerResolver(operations(spec)), validate_responses=validate_responses)
    api.add_error_handler(NekoError, on_domain_error)
    api.add_error_handler(ProblemException, on_http_error)
    api.add_error_handler(HTTPException, on_http_error)
    api.add_error_handler(Exception, on_unexpected_error)
    return NekoServer(services, api)
