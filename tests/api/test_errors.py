"""Errors the framework raises are JSON ``{"message", "code"}`` too, never problem+json."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient


def assert_json_error(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == status and isinstance(body["message"], str) and body["message"]


async def test_unknown_route_is_404_json(client: ApiClient) -> None:
    assert_json_error(await client.get("/api/no/such/thing"), 404)


async def test_wrong_method_is_405_json_with_allow(client: ApiClient) -> None:
    response = await client.delete("/health")
    assert_json_error(response, 405)
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_400(client: ApiClient) -> None:
    response = await client.post("/api/login", content=b"{not json", headers={"content-type": "application/json"})
    assert_json_error(response, 400)


async def test_wrong_content_type_is_415(client: ApiClient) -> None:
    response = await client.post("/api/login", content=b"username=a", headers={"content-type": "text/plain"})
    assert_json_error(response, 415)


async def test_health_needs_no_credentials(client: ApiClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() is True


async def test_an_unexpected_failure_is_500_json_and_logged(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await client.login_admin()

    def broken() -> list[object]:
        raise RuntimeError("store exploded")

    monkeypatch.setattr(client.app.services.sessions, "list", broken)
    response = await client.get("/api/sessions", headers=admin.bearer)
    assert_json_error(response, 500)
    assert response.json()["message"] == "internal server error"
    assert "store exploded" not in response.text
    assert any("RuntimeError" in r.getMessage() for r in caplog.records)
