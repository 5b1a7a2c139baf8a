"""Everything one run measured, grouped the way the report prints it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .argon2_cost import Argon2Cost
from .http_scenarios import Case, measure
from .servers import WORKER_KINDS, Server
from .wrk import WrkResult
from .ws_scenarios import WsResult


@dataclass
class Results:
    settings: dict[str, Any] = field(default_factory=dict)
    startup: dict[str, list[float]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # case key -> title, in the order first run
    http: dict[str, dict[str, list[WrkResult]]] = field(default_factory=dict)
    login_ms: dict[str, list[float]] = field(default_factory=dict)
    argon2: Argon2Cost | None = None
    ws: dict[str, WsResult] = field(default_factory=dict)
    workers: dict[str, dict[str, list[WrkResult]]] = field(default_factory=dict)  # case key -> kind -> rounds
    workers_note: str = ""
    errors: list[str] = field(default_factory=list)
    total_seconds: float = 0.0

    def add(
        self, case: Case, kind: str, server: Server, seconds: int, validate: Callable[[bytes], str] | None = None
    ) -> None:
        """Measure ``case`` on ``server``; a failed check is recorded and the next case still runs."""
        table = self.workers if kind in WORKER_KINDS else self.http
        if table is self.http:  # the HTTP section lists its rows in this order; scenario 9 has its own table
            self.titles.setdefault(case.key, case.title)
        try:
            result = measure(server, case, seconds, validate)
        except RuntimeError as exc:
            self.errors.append(str(exc))
            return
        table.setdefault(case.key, {}).setdefault(kind, []).append(result)
