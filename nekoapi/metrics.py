"""Prometheus metrics: counted from bus events, plus what the HTTP middleware reports.

Each app has its own registry, so two servers in one process (tests) never
share counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .events import EventBus, LoginAttempted, SocketClosed, SocketMessage
from .sessions.manager import SessionManager

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Request latency buckets in seconds: an API call here takes about a millisecond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _ConnectedSessions(Collector):
    """Read at scrape time from the manager's counters, so it can never drift from them."""

    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("neko_sessions_connected", "Sessions with an open WebSocket.", labels=["role"])
        family.add_metric(["admin"], self._sessions.stats.total_admins)
        family.add_metric(["user"], self._sessions.stats.total_users)
        yield family


class Metrics:
    def __init__(self, bus: EventBus, sessions: SessionManager, collectors: Iterable[Collector] = ()) -> None:
        """``collectors`` add what the room's parts report at scrape time (the media's)."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("neko_http_requests", "HTTP requests answered.", ["operation", "status"], registry=r)
        self.latency = Histogram(
            "neko_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.messages = Counter("neko_websocket_messages", "WebSocket messages.", ["direction"], registry=r)
        self.disconnects = Counter("neko_websocket_disconnects", "WebSocket closes by reason.", ["reason"], registry=r)
        self.logins = Counter("neko_logins", "Login attempts by outcome.", ["outcome"], registry=r)
        self._request_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}
        r.register(_ConnectedSessions(sessions))
        for collector in collectors:
            r.register(collector)
        bus.subscribe(LoginAttempted, lambda e: self.logins.labels(e.outcome).inc())
        bus.subscribe(SocketMessage, lambda e: self.messages.labels(e.direction).inc(e.count))
        bus.subscribe(SocketClosed, lambda e: self.disconnects.labels(e.reason).inc())

    def observe_request(self, operation: str, status: int, seconds: float) -> None:
        # The labelled children, looked up once per (operation, status): ``labels()`` takes a
        # lock and builds its key on every call. Both sets are bounded by the spec.
        children = self._request_children.get((operation, status))
        if children is None:
            children = (self.requests.labels(operation, str(status)), self.latency.labels(operation))
            self._request_children[(operation, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
