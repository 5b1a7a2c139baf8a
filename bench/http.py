"""A minimal keep-alive HTTP/1.1 client for seeding and probes.

The harness shares a core with wrk and the WebSocket clients; a hand-rolled
client over asyncio streams costs a fraction of a general-purpose one, so
seeding 10,000 sessions stays quick and the timings of probes stay clean.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, *, body: Any = None, token: str | None = None, timeout: float = 30.0
    ) -> Reply:
        return await asyncio.wait_for(self._request(method, path, body, token), timeout)

    async def _request(self, method: str, path: str, body: Any, token: str | None) -> Reply:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        data = await self._reader.readexactly(length) if length else b""
        return Reply(int(status_line.split()[1]), headers, data)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


async def login_many(
    host: str, port: int, count: int, password: str, prefix: str = "bench", connections: int = 16
) -> list[tuple[str, str]]:
    """Log ``count`` sessions in over up to ``connections`` connections; (id, token) pairs in order."""
    out: list[tuple[str, str]] = [("", "")] * count
    next_index = iter(range(count))

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            for i in next_index:
                reply = await conn.request(
                    "POST", "/api/login", body={"username": f"{prefix}{i}", "password": password}
                )
                if reply.status != 200:
                    raise RuntimeError(f"login failed: HTTP {reply.status} {reply.body[:200]!r}")
                data = reply.json()
                out[i] = (data["id"], data["token"])
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(min(count, connections))))
    return out
