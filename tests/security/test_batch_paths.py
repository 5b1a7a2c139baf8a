"""Sub-requests of a batch get the checks a request gets before routing: control characters refused."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient


@pytest.mark.parametrize("junk", ["\n", "\r", "\t", "\x00", "\x7f"])
@pytest.mark.parametrize(
    ("method", "template"), [("DELETE", "/api/sessions/{}"), ("POST", "/api/sessions/{}/disconnect")]
)
async def test_a_control_character_in_a_sub_request_path_reaches_nothing(
    client: ApiClient, junk: str, method: str, template: str
) -> None:
    admin = await client.login_admin()
    bob = await client.login_user("bob")
    batch = [{"path": template.format(bob.id) + junk, "method": method}]
    response = await client.post("/api/batch", json=batch, headers=admin.bearer)
    assert response.status_code == 200
    assert response.json()[0]["status"] == 404
    assert response.json()[0]["body"] == {"message": "not found", "code": 404}
    assert (await client.get("/api/whoami", headers=bob.bearer)).status_code == 200


async def test_the_same_sub_request_without_the_character_still_works(client: ApiClient) -> None:
    admin = await client.login_admin()
    bob = await client.login_user("bob")
    batch = [{"path": f"/api/sessions/{bob.id}", "method": "DELETE"}]
    response = await client.post("/api/batch", json=batch, headers=admin.bearer)
    assert response.json()[0]["status"] == 204
    assert (await client.get("/api/whoami", headers=bob.bearer)).status_code == 401
