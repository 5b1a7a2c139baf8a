"""The grouped router (nekoapi/web/routing.py) answers every request exactly as a full scan does."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from starlette.routing import Route, Router

from nekoapi.config import load_config
from nekoapi.web.routing import _GroupedRouter
from nekoapi.web.spec import HTTP_METHODS, load_spec


class _Endpoint:
    """An ASGI app as Connexion routes to (an object, not a function): it names itself in the answer."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-route", self.name.encode())]})
        await send({"type": "http.response.body", "body": b""})


def _spec_router() -> Router:
    """The spec's routes in the spec's order, as Connexion adds them, plus a route with an early parameter."""
    routes = [
        Route(path, _Endpoint(f"{method} {path}"), methods=[method.upper()])
        for path, item in load_spec(load_config({}))["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]
    routes.insert(3, Route("/api/{anything}/x", _Endpoint("early parameter"), methods=["GET"]))
    # As GroupedRoutingMiddleware sets it: no router redirects a trailing slash.
    return Router(routes=routes, default=_Endpoint("default"), redirect_slashes=False)


PATHS = [
    "/",
    "/health",
    "/health/",
    "/api",
    "/api/",
    "/api/sessions",
    "/api/sessions/",
    "/api/sessions//",
    "/api/sessions/abc",
    "/api/sessions/abc/",
    "/api/sessions/abc/disconnect",
    "/api/sessions/abc/disconnect/",
    "/api/sessions/abc/disconnect/more",
    "/api//sessions",
    "/api/room/control/give/abc",
    "/api/members_bulk/update",
    "/api/members/m1/password",
    "/api/whatever/x",
    "/api/nothing",
    "/metrics",
    "/api/login\n",
    "*",
]


async def _answer(app: Any, method: str, path: str) -> list[dict[str, Any]]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(("method", "path"), list(itertools.product(["GET", "POST", "PUT", "DELETE"], PATHS)))
async def test_grouped_routes_answer_as_the_full_scan(method: str, path: str) -> None:
    router = _spec_router()
    assert await _answer(_GroupedRouter(router), method, path) == await _answer(router, method, path)


def test_only_routes_with_an_early_parameter_are_in_every_group() -> None:
    grouped = _GroupedRouter(_spec_router())
    assert [route.path for route in grouped.others.routes] == ["/api/{anything}/x"]
    sessions = [route.path for route in grouped.groups[("api", "sessions")].routes]
    assert "/api/{anything}/x" in sessions and "/api/login" not in sessions
