"""Tag ``general``: health, batch."""

from __future__ import annotations

import pytest

from nekoapi.config import Config
from nekoapi.errors import NestedBatch
from nekoapi.web.batch import IN_BATCH, run_batch
from nekoapi.web.state import SERVER_KEY, STATE_KEY
from tests.support.client import ApiClient, api_client
from tests.support.factory import make_config


async def test_health_answers_true(client: ApiClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() is True


async def test_health_answers_503_naming_an_unreachable_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with api_client(make_config(NEKO_SESSION_FILE=str(tmp_path / "sessions.db"))) as client:
        assert (await client.get("/health")).status_code == 200
        client.app.services.store.close()  # type: ignore[attr-defined]  # the database goes away
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "session store unreachable", "code": 503}


async def test_batch_runs_mixed_sub_requests_in_order(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user("carol")
    batch = [
        {"path": f"/api/sessions/{user.id}", "method": "GET"},
        {"path": "/api/sessions/nobody", "method": "GET"},
        {"path": "/api/profile", "method": "POST", "body": {"name": "Boss"}},
        {"path": "/api/profile", "method": "POST", "body": {"name": 5}},
        {"path": "/api/whoami", "method": "GET"},
        {"path": "/api/nowhere", "method": "GET"},
    ]
    response = await client.post("/api/batch", json=batch, headers=admin.bearer)
    assert response.status_code == 200
    results = response.json()
    assert [r["status"] for r in results] == [200, 404, 204, 400, 200, 404]
    assert [(r["path"], r["method"]) for r in results] == [(b["path"], b["method"]) for b in batch]
    assert results[0]["body"]["id"] == user.id
    assert results[1]["body"] == {"message": "session not found", "code": 404}
    assert results[2]["body"] is None
    assert results[4]["body"]["profile"]["name"] == "Boss"  # the earlier sub-request took effect


async def test_batch_runs_with_the_callers_credentials(client: ApiClient) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    batch = [
        {"path": f"/api/sessions/{admin.id}/disconnect", "method": "POST"},
        {"path": f"/api/sessions/{admin.id}", "method": "DELETE"},
        {"path": "/api/whoami", "method": "GET"},
    ]
    response = await client.post("/api/batch", json=batch, headers=user.bearer)
    assert [r["status"] for r in response.json()] == [403, 403, 200]
    assert response.json()[2]["body"]["id"] == user.id
    assert (await client.get(f"/api/sessions/{admin.id}", headers=admin.bearer)).status_code == 200


async def test_batch_keeps_a_query_token_for_its_sub_requests(client: ApiClient) -> None:
    user = await client.login_user()
    response = await client.post(f"/api/batch?token={user.token}", json=[{"path": "/api/whoami", "method": "GET"}])
    result = response.json()[0]
    assert (result["path"], result["method"], result["status"]) == ("/api/whoami", "GET", 200)
    assert result["body"]["id"] == user.id


async def test_batch_without_credentials_is_401(client: ApiClient) -> None:
    response = await client.post("/api/batch", json=[{"path": "/api/whoami", "method": "GET"}])
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/batch", "/api/batch/", "/api/batch?x=1"])
async def test_nested_batch_is_refused_and_nothing_runs(client: ApiClient, path: str) -> None:
    admin = await client.login_admin()
    user = await client.login_user()
    batch = [
        {"path": f"/api/sessions/{user.id}", "method": "DELETE"},
        {"path": path, "method": "POST", "body": []},
    ]
    response = await client.post("/api/batch", json=batch, headers=admin.bearer)
    assert response.status_code == 422
    assert response.json() == {"message": "a batch cannot contain another batch", "code": 422}
    assert (await client.get(f"/api/sessions/{user.id}", headers=admin.bearer)).status_code == 200


@pytest.mark.parametrize("config", [make_config(NEKO_SERVER_BATCH_LIMIT="2")])
async def test_batch_over_the_limit_is_413(client: ApiClient, config: Config) -> None:
    admin = await client.login_admin()
    one = {"path": "/api/whoami", "method": "GET"}
    assert (await client.post("/api/batch", json=[one, one], headers=admin.bearer)).status_code == 200
    response = await client.post("/api/batch", json=[one, one, one], headers=admin.bearer)
    assert response.status_code == 413
    assert response.json()["message"] == "a batch may hold at most 2 sub-requests"


async def test_batch_refuses_an_unknown_method(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.post("/api/batch", json=[{"path": "/api/whoami", "method": "PUT"}], headers=admin.bearer)
    assert response.status_code == 400


async def test_a_batch_inside_a_sub_request_is_refused_whatever_its_path(client: ApiClient) -> None:
    services = client.app.services
    sub_request_scope = {"state": {STATE_KEY: services, SERVER_KEY: client.app, IN_BATCH: True}}
    with pytest.raises(NestedBatch):
        await run_batch(sub_request_scope, [{"path": "/api/whoami", "method": "GET"}])
