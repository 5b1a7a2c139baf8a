"""Bodies the server refuses before parsing them, checked on every operation that takes a body."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config
from tests.support.live import live_server
from tests.support.spec_samples import OPERATIONS, declared, is_v2, url

WITH_BODY = sorted(name for name, op in OPERATIONS.items() if "requestBody" in op.operation)
# Malformed JSON only matters where JSON is what the operation reads (uploads take multipart forms).
WITH_JSON_BODY = sorted(n for n in WITH_BODY if "application/json" in OPERATIONS[n].operation["requestBody"]["content"])
LIMIT = 64


@pytest.fixture
async def small() -> AsyncIterator[ApiClient]:
    async with api_client(make_config(NEKO_SERVER_MAX_BODY_SIZE=str(LIMIT))) as c:
        yield c


async def admin_headers(client: ApiClient) -> dict[str, str]:
    return (await client.login_admin()).bearer


def assert_declared_error(name: str, response: object, status: int) -> None:
    assert response.status_code == status, f"{name}: {response.status_code} {response.text}"  # type: ignore[attr-defined]
    assert status in declared(OPERATIONS[name]), f"{name} does not declare {status}"
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert response.json()["code"] == status  # type: ignore[attr-defined]


def test_default_limit_is_one_mebibyte() -> None:
    assert make_config().server.max_body_size == 1024 * 1024


@pytest.mark.parametrize("name", WITH_JSON_BODY)
async def test_an_oversized_body_is_413(small: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    body = b'{"name": "' + b"x" * LIMIT + b'"}'
    response = await small.request(
        op.method.upper(), url(op), content=body, headers={"Content-Type": "application/json"}
    )
    assert_declared_error(name, response, 413)
    assert response.json()["message"] == f"request body is larger than {LIMIT} bytes"


async def test_a_streamed_body_is_cut_off_at_the_limit(small: ApiClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 16

    response = await small.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert_declared_error("login", response, 413)


async def test_a_streamed_body_under_the_limit_is_read(small: ApiClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"username": "ann",'
        yield b' "password": "admin-secret"}'

    response = await small.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["profile"]["name"] == "ann"


@pytest.mark.parametrize("name", WITH_BODY)
async def test_another_content_type_is_415(client: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    headers = {**await admin_headers(client), "Content-Type": "text/plain"}
    # Neko v2's paths log in with ?pwd= for the one request, not with a session.
    params = {"usr": "admin", "pwd": ADMIN_PASSWORD} if is_v2(op) else {}
    response = await client.request(op.method.upper(), url(op), content=b"{}", headers=headers, params=params)
    assert_declared_error(name, response, 415)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe{}", b""])
@pytest.mark.parametrize("name", WITH_JSON_BODY)
async def test_a_malformed_or_missing_body_is_400(client: ApiClient, name: str, body: bytes) -> None:
    op = OPERATIONS[name]
    headers = {**await admin_headers(client), "Content-Type": "application/json"}
    response = await client.request(op.method.upper(), url(op), content=body, headers=headers)
    assert_declared_error(name, response, 400)


async def test_an_unknown_charset_is_400(client: ApiClient) -> None:
    headers = {"Content-Type": "application/json; charset=no-such-charset"}
    response = await client.post("/api/login", content=b"{}", headers=headers)
    assert_declared_error("login", response, 400)


async def test_a_body_without_content_type_is_read_as_json(client: ApiClient) -> None:
    # As Neko, which decodes JSON whatever the header says.
    response = await client.post("/api/login", content=b'{"username": "user", "password": "user-secret"}')
    assert response.status_code == 200
    assert response.json()["profile"]["name"] == "user"


def test_a_real_server_refuses_on_content_length_without_waiting_for_the_body() -> None:
    # Only the headers are sent: the answer must come without the 100 MB body.
    with (
        live_server(make_config(NEKO_SERVER_MAX_BODY_SIZE=str(LIMIT))) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection,
    ):
        connection.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        reply = b""
        while b'"code":413}' not in reply:
            chunk = connection.recv(4096)
            assert chunk, reply
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 ")
