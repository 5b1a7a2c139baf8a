"""The spec as served to users and tools, and the Swagger UI page."""

from __future__ import annotations

import yaml
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from nekoapi.web.spec import load_spec
from nekoapi.web.stack import api_middlewares
from tests.support.client import ApiClient, api_client
from tests.support.factory import make_config


async def test_json_and_yaml_are_the_spec_the_server_runs(client: ApiClient) -> None:
    expected = load_spec(client.app.services.config)
    as_json = await client.get("/api/openapi.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == expected
    as_yaml = await client.get("/api/openapi.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.text) == expected
    assert (await client.get("/openapi.json")).json() == expected
    assert yaml.safe_load((await client.get("/openapi.yaml")).text) == expected


async def test_served_spec_names_the_configured_cookie() -> None:
    async with api_client(make_config(NEKO_SESSION_COOKIE_NAME="KITTY")) as client:
        spec = (await client.get("/api/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["CookieAuth"]["name"] == "KITTY"


async def test_swagger_ui_loads_and_points_at_the_spec(client: ApiClient) -> None:
    redirect = await client.get("/api/ui")
    assert redirect.status_code in (301, 302, 307, 308)
    page = await client.get("/api/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in page.text
    assert "swagger-ui-bundle.js" in page.text
    bundle = await client.get("/api/ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 100_000


async def test_unknown_paths_next_to_the_documents_are_json_404(client: ApiClient) -> None:
    for method, path in [
        ("GET", "/api/openapi.xml"),
        ("GET", "/openapi.xml"),
        ("GET", "/api/ui/no-such-asset.js"),
        ("POST", "/api/openapi.json"),
        ("DELETE", "/api/ui/"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["code"] == 404


async def test_documents_carry_the_security_headers(client: ApiClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_405_lists_every_method_the_path_declares(client: ApiClient) -> None:
    admin = await client.login_admin()
    response = await client.put(f"/api/sessions/{admin.id}", headers=admin.bearer)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE"}
    assert response.json()["code"] == 405


def test_swagger_ui_is_not_on_the_api_request_path() -> None:
    for validate_responses in (False, True):
        assert SwaggerUIMiddleware not in api_middlewares(validate_responses=validate_responses)


async def test_under_a_path_prefix_the_ui_fetches_the_prefixed_spec() -> None:
    async with api_client(make_config(NEKO_SERVER_PATH_PREFIX="/neko/")) as client:
        page = await client.get("/neko/api/ui/")
        assert page.status_code == 200
        assert "/neko/api/openapi.json" in page.text
        assert (await client.get("/neko/api/openapi.json")).status_code == 200
