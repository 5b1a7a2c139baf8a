"""HTTP scenarios (1)-(4): each one checks the answer first, then runs wrk."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import wrk
from .http import Connection, login_many
from .servers import ADMIN_PASSWORD, API_TOKEN, USER_PASSWORD, Server


@dataclass(frozen=True)
class Case:
    key: str  # stable id used by the report
    title: str
    method: str
    path: str
    status: int
    token: str | None = API_TOKEN
    body: str | None = None
    connections: int = 32


def disconnect_case(key: str, title: str, session_id: str) -> Case:
    return Case(key, title, "POST", f"/api/sessions/{session_id}/disconnect", 204)


UNAUTHORIZED = Case("401", "POST disconnect, no credentials -> 401", "POST", "/api/sessions/x/disconnect", 401, None)
NOT_FOUND = Case("404", "POST disconnect, unknown session -> 404", "POST", "/api/sessions/nobody-00000/disconnect", 404)
LOGIN = Case(
    "login",
    "POST /api/login (admin) -> 200",
    "POST",
    "/api/login",
    200,
    None,
    json.dumps({"username": "bench", "password": ADMIN_PASSWORD}),
)


def list_case(sessions: int) -> Case:
    # Big bodies take long to build; fewer connections keep wrk's latencies under its timeout.
    connections = 32 if sessions <= 100 else 8 if sessions <= 1000 else 2
    return Case(
        f"list{sessions}",
        f"GET /api/sessions ({sessions:,} sessions)",
        "GET",
        "/api/sessions",
        200,
        connections=connections,
    )


def check(server: Server, case: Case, validate: Callable[[bytes], str] | None = None) -> None:
    """One request before the load: the server must give the answer the scenario claims to measure."""

    async def once() -> tuple[int, bytes]:
        conn = Connection(server.host, server.port)
        try:
            body = json.loads(case.body) if case.body else None
            reply = await conn.request(case.method, case.path, body=body, token=case.token)
            return reply.status, reply.body
        finally:
            await conn.close()

    status, body = asyncio.run(once())
    if status != case.status:
        raise RuntimeError(f"{server.kind}: {case.title}: expected HTTP {case.status}, got {status}: {body[:200]!r}")
    problem = validate(body) if validate else ""
    if problem:
        raise RuntimeError(f"{server.kind}: {case.title}: {problem}")


def measure(server: Server, case: Case, seconds: int, validate: Callable[[bytes], str] | None = None) -> wrk.WrkResult:
    check(server, case, validate)
    result = wrk.run(
        server.url(case.path),
        method=case.method,
        token=case.token,
        body=case.body,
        seconds=seconds,
        connections=case.connections,
    )
    expected_errors = result.requests if case.status >= 300 else 0
    if result.non_2xx != expected_errors:
        raise RuntimeError(f"{server.kind}: {case.title}: {result.non_2xx} of {result.requests} answers were off")
    return result


def seed(server: Server, count: int, prefix: str) -> list[tuple[str, str]]:
    return asyncio.run(login_many(server.host, server.port, count, USER_PASSWORD, prefix=prefix))


def session_count_is(expected: int) -> Callable[[bytes], str]:
    def validate(body: bytes) -> str:
        got = len(json.loads(body))
        return "" if got == expected else f"listed {got} sessions, expected {expected}"

    return validate


def login_latency_ms(server: Server, count: int = 200) -> float:
    """Median of ``count`` sequential logins, without load: what one login costs."""

    async def run() -> float:
        conn = Connection(server.host, server.port)
        samples = []
        try:
            for i in range(count):
                began = time.perf_counter()
                await conn.request("POST", "/api/login", body={"username": f"lat{i}", "password": USER_PASSWORD})
                samples.append((time.perf_counter() - began) * 1000)
        finally:
            await conn.close()
        return statistics.median(samples)

    return asyncio.run(run())
