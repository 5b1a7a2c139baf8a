"""Who may call what, for every operation of the spec: derived from the spec, never listed by hand.

An operation that declares security answers 401 without credentials and with a
bad token on each of the three schemes; an operation marked admin-only answers
403 to a logged-in non-administrator. An operation added to the spec is covered
the moment it exists. Every status seen must be declared for its operation.
"""

from __future__ import annotations

import httpx
import pytest

from nekoapi.web.spec import OperationInfo
from tests.support.client import ApiClient
from tests.support.spec_samples import OPERATIONS, declared, is_v2, request_body, url

# Neko v2's paths take a password in ?pwd= instead of a session: every refusal is 403, as in Neko.
V2 = sorted(name for name, op in OPERATIONS.items() if is_v2(op))
SECURED = sorted(name for name, op in OPERATIONS.items() if op.access != "public" and not is_v2(op))
ADMIN_ONLY = sorted(name for name, op in OPERATIONS.items() if op.access == "admin")
BAD_TOKEN = "not-a-valid-token"


async def call(client: ApiClient, op: OperationInfo, **kwargs: object) -> httpx.Response:
    body = request_body(op)
    if body is not None:
        kwargs["json"] = body
    return await client.request(op.method.upper(), url(op), **kwargs)  # type: ignore[arg-type]


def assert_error(response: httpx.Response, op: OperationInfo, status: int) -> None:
    assert response.status_code == status, f"{op.operation_id}: {response.status_code} {response.text}"
    assert status in declared(op), f"{op.operation_id} does not declare {status}"
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == status


def test_the_matrix_covers_operations() -> None:
    # Guards against the derivation silently finding nothing.
    assert {"whoami", "sessionsGet", "sessionDisconnect"} <= set(SECURED)
    assert {"sessionGet", "sessionRemove", "sessionDisconnect"} <= set(ADMIN_ONLY)
    assert {"legacyStats", "legacyScreenshot", "legacyFileDownload"} <= set(V2)


@pytest.mark.parametrize("name", SECURED)
async def test_no_credentials_is_401(client: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    response = await call(client, op)
    assert_error(response, op, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("name", V2)
async def test_a_missing_wrong_or_token_password_is_403_on_the_v2_paths(client: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    admin = await client.login_admin()
    for credentials in ({}, {"params": {"pwd": BAD_TOKEN}}, {"params": {"pwd": admin.token}, "headers": admin.bearer}):
        response = await call(client, op, **credentials)  # type: ignore[arg-type]
        assert_error(response, op, 403)
        assert response.json()["message"] == "wrong password"


@pytest.mark.parametrize("scheme", ["bearer", "cookie", "query"])
@pytest.mark.parametrize("name", SECURED)
async def test_a_bad_token_is_401_on_every_scheme(client: ApiClient, name: str, scheme: str) -> None:
    op = OPERATIONS[name]
    cookie_name = client.app.services.config.session.cookie.name
    credentials: dict[str, object] = {
        "bearer": {"headers": {"Authorization": f"Bearer {BAD_TOKEN}"}},
        "cookie": {"headers": {"Cookie": f"{cookie_name}={BAD_TOKEN}"}},
        "query": {"params": {"token": BAD_TOKEN}},
    }[scheme]  # type: ignore[assignment]
    assert_error(await call(client, op, **credentials), op, 401)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ADMIN_ONLY)
async def test_a_non_admin_is_403(client: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    user = await client.login_user()
    response = await call(client, op, headers=user.bearer)
    assert_error(response, op, 403)
    assert response.json()["message"] == "only administrators may do this"


@pytest.mark.parametrize("name", ADMIN_ONLY)
async def test_an_admin_gets_past_the_guard(client: ApiClient, name: str) -> None:
    op = OPERATIONS[name]
    admin = await client.login_admin()
    response = await call(client, op, headers=admin.bearer)
    assert response.status_code not in (401, 403), f"{name}: {response.status_code} {response.text}"
    assert response.status_code in declared(op)
