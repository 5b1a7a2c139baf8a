"""CPU time per request of the real app, called directly over ASGI (no network, no uvicorn).

    python -m bench.inprocess [--profile FILE] [--calls N] [case ...]

Cases: disconnect, 401, 404, list100. Each prints the best of 7 runs of N calls in
microseconds of process time, which another process's load disturbs far less than wall
time. With --profile, one run under cProfile is written to FILE (read it with pstats).

Logging is set up as ``nekoapi serve`` sets it up (log.level info, the default: one access
line per request, written by the log writer thread, to a scratch file here), so the figures
include the access log. Then the access log's own cost: the disconnect case at info and at
warning, alternated, best of each (the writer thread's CPU counts: it is process time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import tempfile
import time
from typing import Any

from nekoapi import logs
from nekoapi.config import load_config
from nekoapi.web.app import create_app

TOKEN = "bench-inprocess-api-token-0123456789"
ENV = {
    "NEKO_SESSION_API_TOKEN": TOKEN,
    "NEKO_MEMBER_PROVIDER": "multiuser",
    "NEKO_DESKTOP_ENABLED": "false",
    "NEKO_SESSION_LOGIN_THROTTLE_ENABLED": "false",
    "NEKO_MEMBER_MULTIUSER_ADMIN_PASSWORD": "admin",
    "NEKO_MEMBER_MULTIUSER_USER_PASSWORD": "neko",
}
Header = tuple[bytes, bytes]
ALONE_CALLS = 7  # observer calls per request call, in the access log's measure


async def call(app: Any, method: str, path: str, headers: list[Header], body: bytes = b"") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status, chunks = 0, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def timed(app: Any, case: tuple[str, str, list[Header], int], calls: int) -> float:
    method, path, headers, _ = case
    began = time.process_time()
    for _ in range(calls):
        await call(app, method, path, headers)
    return time.process_time() - began


async def access_log_cost(app: Any, case: tuple[str, str, list[Header], int], calls: int) -> None:
    """The access log's cost: at the default level (info: a line per request) against warning (none).

    Twice: whole disconnects, alternated between the levels, and the observer's call alone (what
    the request path pays for the line, plus the writer thread's CPU, since it is process time).
    """
    root = logging.getLogger()
    previous = root.level
    whole: dict[int, list[float]] = {logging.INFO: [], logging.WARNING: []}
    alone: dict[int, list[float]] = {logging.INFO: [], logging.WARNING: []}
    scope = {"method": "POST", "path": case[1], "client": ("127.0.0.1", 1), "extensions": {}}
    for _ in range(7):
        for level in whole:
            root.setLevel(level)
            whole[level].append(await timed(app, case, calls))
            began = time.process_time()
            for _ in range(ALONE_CALLS * calls):
                app.observer.record(scope, 204, 0.0001)
            await asyncio.sleep(0.1)  # the writer thread writes what the calls queued
            alone[level].append(time.process_time() - began)
    root.setLevel(previous)
    info, warning = (min(whole[level]) / calls * 1e6 for level in (logging.INFO, logging.WARNING))
    line, none = (min(alone[level]) / (ALONE_CALLS * calls) * 1e6 for level in (logging.INFO, logging.WARNING))
    print(
        f"access log: disconnect {info:.1f} us at info (default), {warning:.1f} us at warning ({info - warning:+.1f});"
        f" the observer alone {line:.2f} us at info, {none:.2f} us at warning ({line - none:+.2f} us per line)"
    )


async def measure(cases: list[str], calls: int, profile: str | None) -> None:
    app = create_app(load_config(ENV))
    startup: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, startup.get, replies.put)
    )
    await replies.get()
    admin = [(b"authorization", b"Bearer " + TOKEN.encode())]
    ids = []
    for n in range(100):
        login = json.dumps({"username": f"u{n}", "password": "neko"}).encode()
        status, body = await call(app, "POST", "/api/login", [(b"content-type", b"application/json")], login)
        assert status == 200, (status, body)
        ids.append(json.loads(body)["id"])
    table = {
        "disconnect": ("POST", f"/api/sessions/{ids[0]}/disconnect", admin, 204),
        "401": ("POST", f"/api/sessions/{ids[0]}/disconnect", [], 401),
        "404": ("POST", "/api/sessions/nobody-00000/disconnect", admin, 404),
        "list100": ("GET", "/api/sessions", admin, 200),
    }
    for name in cases:
        method, path, headers, expected = table[name]
        status, body = await call(app, method, path, headers)
        assert status == expected, (name, status, body)
        for _ in range(200):  # warm-up
            await call(app, method, path, headers)
        profiler = cProfile.Profile() if profile else None
        runs = []
        for _ in range(1 if profiler else 7):
            if profiler:
                profiler.enable()
            runs.append(await timed(app, table[name], calls))
            if profiler:
                profiler.disable()
                profiler.dump_stats(f"{profile}.{name}")
        print(f"{name}: {min(runs) / calls * 1e6:.1f} us of CPU per request")
    if not profile:
        await access_log_cost(app, table["disconnect"], calls)
    await startup.put({"type": "lifespan.shutdown"})
    await replies.get()
    await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("cases", nargs="*", default=["disconnect", "401", "404", "list100"])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--profile", help="write one cProfile run per case to FILE.<case>")
    args = parser.parse_args()
    with tempfile.TemporaryFile("w") as scratch:
        # As `nekoapi serve` logs by default; the lines go to a scratch file, not the terminal.
        logs.configure("info", stream=scratch)
        asyncio.run(measure(args.cases, args.calls, args.profile))


if __name__ == "__main__":
    main()
