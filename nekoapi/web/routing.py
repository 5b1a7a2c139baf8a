"""Connexion's router, with the same routes tried in the same order, minus the ones that cannot match.

Connexion routes with two Starlette routers: one holding a ``Mount`` per API
base path, and the API's own, which tries every operation's route in turn
(the disconnect is the eighth). Here, with the one API at the root, the mount
is skipped (it matches every path and the scope it builds is thrown away), and
the API's routes are split by the first two path segments their path fixes,
each group a Starlette router of its own over those routes in their original
order. A route with a parameter within its first two segments is in every
group. So a request meets the routes a full scan could match, in the same
order, with the same 405s.

No router redirects a trailing slash: Starlette's 307 was not in the spec and its
``Location`` was built from the request's Host header. "/api/sessions/" is a 404.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.routing import _scope as _routing_scope
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

_Key = tuple[str, ...]


def _key(path: str) -> _Key:
    """The first two segments: "/api/sessions/x/disconnect" -> ("api", "sessions")."""
    return tuple(path.rstrip("/").split("/", 3)[1:3])


def _route_key(route: BaseRoute) -> _Key | None:
    """The key of every path the route can match, or None when that depends on a parameter."""
    if not isinstance(route, Route):
        return None
    literal, brace, _ = route.path.partition("{")
    if not brace:
        return _key(literal)
    if literal.count("/") < 3:
        return None  # a parameter within the first two segments
    return _key(literal)


class _GroupedRouter:
    def __init__(self, router: Router) -> None:
        self.router = router
        keyed = [(route, _route_key(route)) for route in router.routes]
        self.groups = {
            key: self._subset(router, [route for route, k in keyed if k is None or k == key])
            for key in {k for _, k in keyed if k is not None}
        }
        self.others = self._subset(router, [route for route, k in keyed if k is None])

    @staticmethod
    def _subset(router: Router, routes: list[BaseRoute]) -> Router:
        return Router(routes=routes, redirect_slashes=False, default=router.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = get_route_path(scope)
        if "\n" in path:
            # Python's "$" matches before a final newline: only the full scan says what that reaches.
            await self.router(scope, receive, send)
            return
        await self.groups.get(_key(path), self.others)(scope, receive, send)


class GroupedRoutingMiddleware(RoutingMiddleware):
    """Connexion's ``RoutingMiddleware``; see the module docstring for what it skips."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._direct: _GroupedRouter | None = None

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        mounts = self.router.routes
        self.router.redirect_slashes = False
        for mount in mounts:
            if isinstance(mount, Mount) and isinstance(mount.app, Router):
                mount.app.redirect_slashes = False
        root = len(mounts) == 1 and isinstance(mounts[0], Mount) and mounts[0].path == ""
        self._direct = _GroupedRouter(mounts[0].app) if root else None  # type: ignore[union-attr]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._direct is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        _routing_scope.set(scope.copy())  # what Connexion's own call does first
        await self._direct(scope, receive, send)
