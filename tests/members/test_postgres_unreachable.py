"""PostgreSQL going away mid-run: member operations and logins answer the declared 503, not 500."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.client import api_client
from tests.support.factory import make_config
from tests.support.stores import POSTGRES_URL, store_env

UNREACHABLE = {"message": "member provider unreachable", "code": 503}


class CuttableProxy:
    """A TCP proxy to PostgreSQL that the test can cut, as a network failure or a stopped server would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()  # new connections are refused
        for writer in self.links:
            writer.transport.abort()  # and the open ones break

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@contextlib.asynccontextmanager
async def proxied_postgres(tmp_path: Path) -> AsyncIterator[tuple[dict[str, str], CuttableProxy]]:
    async with store_env("postgres", tmp_path) as env:
        parts = urlsplit(POSTGRES_URL)
        proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        port = await proxy.start()
        url = POSTGRES_URL.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")
        yield {**env, "NEKO_MEMBER_POSTGRES_URL": url}, proxy


async def test_member_operations_and_logins_answer_503_while_postgres_is_unreachable(tmp_path: Path) -> None:
    async with proxied_postgres(tmp_path) as (env, proxy), api_client(make_config(**env)) as client:
        admin = await client.login("admin", "admin-secret")
        assert (await client.get("/api/members", headers=admin.bearer)).status_code == 200
        await proxy.cut()
        answers = [
            await client.get("/api/members", headers=admin.bearer),
            await client.post("/api/members", json={"username": "new", "password": "pw"}, headers=admin.bearer),
            await client.get("/api/members/admin", headers=admin.bearer),
            await client.post("/api/members/admin", json={"name": "x"}, headers=admin.bearer),
            await client.post("/api/members/admin/password", json={"password": "pw"}, headers=admin.bearer),
            await client.delete("/api/members/admin", headers=admin.bearer),
            await client.post("/api/members_bulk/update", json={"ids": ["admin"], "profile": {}}, headers=admin.bearer),
            await client.post("/api/members_bulk/delete", json={"ids": ["admin"]}, headers=admin.bearer),
            await client.post("/api/login", json={"username": "admin", "password": "admin-secret"}),
        ]
        for answer in answers:
            assert (answer.status_code, answer.json()) == (503, UNREACHABLE), answer.request.url
        assert (await client.get("/health")).status_code == 503
