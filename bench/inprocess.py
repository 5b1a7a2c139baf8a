"""CPU time per request of the real app, called directly over ASGI (no network, no uvicorn).

    python -m bench.inprocess [--profile FILE] [--calls N] [case ...]

Cases: disconnect, 401, 404, list100. Each prints the best of 7 runs of N calls in
microseconds of process time, which another process's load disturbs far less than wall
time. With --profile, one run under cProfile is written to FILE (read it with pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import time
from typing import Any

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
            began = time.process_time()
            for _ in range(calls):
                await call(app, method, path, headers)
            runs.append(time.process_time() - began)
            if profiler:
                profiler.disable()
                profiler.dump_stats(f"{profile}.{name}")
        print(f"{name}: {min(runs) / calls * 1e6:.1f} us of CPU per request")
    await startup.put({"type": "lifespan.shutdown"})
    await replies.get()
    await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("cases", nargs="*", default=["disconnect", "401", "404", "list100"])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--profile", help="write one cProfile run per case to FILE.<case>")
    args = parser.parse_args()
    asyncio.run(measure(args.cases, args.calls, args.profile))


if __name__ == "__main__":
    main()
