"""Every answered request in one log line, and in the HTTP metrics."""

from __future__ import annotations

import logging

from starlette.types import Scope

from .. import logs
from ..metrics import Metrics
from .httpguard import ANSWERED

log = logging.getLogger("nekoapi.access")

# Connexion's router records the operationId here (in a dict it shares with our scope).
ROUTING_KEY = "connexion_routing"
UNROUTED = "none"  # requests that matched no operation (404, 405)


class RequestObserver:
    """Told about each request once it is answered (``NekoServer.dispatch`` times it)."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics

    def record(self, scope: Scope, status: int, elapsed: float) -> None:
        extensions = scope.get("extensions", {})
        operation = (extensions.get(ROUTING_KEY) or {}).get("operation_id") or UNROUTED
        status = extensions.get(ANSWERED, status)  # the server's own 408 (httpguard.py), not what was dropped
        if self.metrics is not None:
            self.metrics.observe_request(operation, status, elapsed)
        if not log.isEnabledFor(logging.INFO):
            return  # the line's fields are not worth building for nobody
        client = scope.get("client") or ("-", 0)
        lines = logs.access_lines()
        if lines is not None:
            # What the logging call below prints, at a tenth of its cost (nekoapi/accesslog.py).
            path = scope["path"]
            if "=" in path or " " in path:
                path = logs.redact(path)
            lines.write(scope["method"], path, status, elapsed, operation, client[0], logs.current_session())
            return
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
