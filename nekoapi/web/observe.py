"""One ASGI middleware that logs every request in one line and feeds the HTTP metrics."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import logs
from ..metrics import Metrics

log = logging.getLogger("nekoapi.access")

# Connexion's router records the operationId here (in a dict it shares with our scope).
ROUTING_KEY = "connexion_routing"
UNROUTED = "none"  # requests that matched no operation (404, 405)


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with logs.request_context():
            await self._observe(scope, receive, send)

    async def _observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extensions = scope.setdefault("extensions", {})
        status = 500
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            operation = (extensions.get(ROUTING_KEY) or {}).get("operation_id") or UNROUTED
            self._record(scope, operation, status, elapsed)

    def _record(self, scope: Scope, operation: str, status: int, elapsed: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_request(operation, status, elapsed)
        client = scope.get("client") or ("-", 0)
        # The path only: a query string may carry ?token=.
        log.info(
            "%s %s %d %.1fms %s client=%s",
            scope["method"],
            scope["path"],
            status,
            elapsed * 1000,
            operation,
            client[0],
            extra={
                "fields": {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "operation": operation,
                    "client": client[0],
                }
            },
        )
