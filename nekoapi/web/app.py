"""``create_app(config)``: the Connexion API from the spec, the ``/api/ws`` socket, one lifespan."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, cast

from connexion.exceptions import ProblemException
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import logs
from ..config import Config
from ..errors import NekoError
from ..services import Services
from .admission import UploadsInFlight
from .cdp import cdp_endpoint
from .docs import docs_app, is_docs_path
from .errors import error_body, on_domain_error, on_http_error, on_unexpected_error
from .fastpath import VALIDATORS, CachedURIParser, PrebuiltAsyncApp
from .folder import folder_app, folder_paths
from .frames import CDP_PATH
from .hardening import SECURITY_HEADERS, Hardening, Refusal, add_security_headers, refuse
from .limits import RequestLimits
from .mediasocket import MEDIA_PATH, media_endpoint
from .methods import method_not_allowed_handler
from .observe import RequestObserver
from .page import is_page_path, page_app
from .resolver import HandlerResolver
from .security import SECURITY_MAP
from .spec import load_spec, operations, validate_each_spec_once
from .stack import api_middlewares
from .state import SERVER_KEY, STATE_KEY
from .v2socket import V2_WEBSOCKET_PATH, v2_websocket_endpoint
from .websocket import websocket_endpoint

WEBSOCKET_PATH = "/api/ws"


class NekoServer:
    """The ASGI app: WebSocket scopes go to ``/api/ws`` (and Neko v2's ``/ws``), everything else to Connexion.

    An HTTP request goes, in this order: the hardening checks, the body limits,
    trusted proxy headers and CORS (when configured), the path prefix, then
    ``dispatch``: the request observer (logs, metrics) around the route. Each
    step is a plain call here rather than an ASGI layer of its own: every layer
    costs a call frame and a ``send`` wrapper per request. Batch sub-requests
    enter at ``dispatch``, below the prefix, with the caller's credentials.
    """

    def __init__(
        self,
        services: Services,
        api: PrebuiltAsyncApp,
        docs: ASGIApp | None = None,
        operation_paths: Iterable[str] = (),
    ) -> None:
        self.services = services
        self.api = api
        self.docs = docs
        server = services.config.server
        # At /: the room's page (web/page.py), or the operator's folder (web/folder.py).
        self.page, self.is_page_path = page_app(api), is_page_path
        if server.static:
            self.page, self.is_page_path = folder_app(server.static, api), folder_paths(operation_paths)
        self.prefix = server.path_prefix.rstrip("/")
        self.hardening = Hardening(server)
        self.limits = RequestLimits(server.max_body_size, server.max_upload_size)
        # Upload bodies being received (admission.py): one account for every request of this process.
        self.uploads_in_flight = UploadsInFlight(server.upload_in_flight_per_session, server.upload_in_flight)
        self.observer = RequestObserver(services.metrics)
        self._entry: ASGIApp = self._unprefix
        # With CORS or proxy headers in between, the security headers are added outside them.
        self._layered = bool(server.cors or server.proxy)
        if server.cors:
            self._entry = CORSMiddleware(
                self._entry,
                allow_origins=list(server.cors),
                allow_methods=["*"],
                allow_headers=["*"],
                allow_credentials=True,
            )
        if server.proxy:
            # uvicorn types its middleware with its own scope types; the app is plain ASGI either way.
            self._entry = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, self._entry), trusted_hosts="*"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self.api(scope, receive, send)
        else:
            await self._entry(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Oversized or malformed requests are refused before anything parses them.
        refusal = self.hardening.refusal(scope)
        if refusal is not None:
            await refuse(send, refusal)
            return
        admitted = await self.limits.admit(scope, receive)
        if isinstance(admitted, Refusal):
            await refuse(send, admitted, close=True)
            return
        scope, receive = admitted
        if not self._layered:
            await self._unprefix(scope, receive, send, harden=True)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message)
            await send(message)

        await self._entry(scope, receive, send_hardened)

    async def _unprefix(self, scope: Scope, receive: Receive, send: Send, *, harden: bool = False) -> None:
        state = scope.setdefault("state", {})
        state[STATE_KEY] = self.services
        state[SERVER_KEY] = self
        if self.prefix:
            path = scope["path"]
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                await _not_found(scope, send, harden=harden)
                return
            scope = {**scope, "path": path[len(self.prefix) :] or "/", "root_path": ""}
            scope.pop("raw_path", None)  # would still carry the prefix
        await self.dispatch(scope, receive, send, harden=harden)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send, *, harden: bool = False) -> None:
        """Below the prefix; ``harden`` adds the security headers here, when no layer sits in between."""
        with logs.request_context():
            if scope["type"] != "http":
                await self._websocket(scope, receive, send)
                return
            # Connexion's router copies the scope but shares this dict: the observer reads the operation from it.
            scope.setdefault("extensions", {})
            status = 500
            started = time.perf_counter()

            async def observed_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if harden:
                        add_security_headers(message)
                await send(message)

            try:
                if self.docs is not None and is_docs_path(scope["path"]):
                    await self.docs(scope, receive, observed_send)
                elif self.is_page_path(scope["path"]):
                    await self.page(scope, receive, observed_send)
                else:
                    await self.api(scope, receive, observed_send)
            finally:
                self.observer.record(scope, status, time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == WEBSOCKET_PATH:
            await websocket_endpoint(scope, receive, send)
        elif scope["path"] == CDP_PATH:
            await cdp_endpoint(scope, receive, send)
        elif scope["path"] == MEDIA_PATH:
            await media_endpoint(scope, receive, send)
        elif scope["path"] == V2_WEBSOCKET_PATH and self.services.config.legacy:
            await v2_websocket_endpoint(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": "not found"})


async def _not_found(scope: Scope, send: Send, *, harden: bool = False) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": "not found"})
        return
    body = error_body(404, "not found")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if harden:
        headers += SECURITY_HEADERS
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(
    config: Config, *, validate_responses: bool = False, overrides: Mapping[str, Any] | None = None
) -> NekoServer:
    """``overrides``: parts tests replace (``Services``' docstring names them)."""
    services = Services(config, overrides)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    validate_each_spec_once()
    spec = load_spec(config)
    api = PrebuiltAsyncApp(
        __name__,
        lifespan=lifespan,
        security_map=SECURITY_MAP,
        validator_map=VALIDATORS,
        uri_parser_class=CachedURIParser,
        pythonic_params=True,
        middlewares=api_middlewares(validate_responses=validate_responses),
    )
    spec_operations = operations(spec)
    api.add_api(spec, resolver=HandlerResolver(spec_operations), validate_responses=validate_responses)
    api.add_error_handler(NekoError, on_domain_error)
    api.add_error_handler(405, method_not_allowed_handler(spec))
    api.add_error_handler(ProblemException, on_http_error)
    api.add_error_handler(HTTPException, on_http_error)
    api.add_error_handler(Exception, on_unexpected_error)
    docs = docs_app(spec, api, config.server.path_prefix)
    return NekoServer(services, api, docs, operation_paths=spec["paths"])
