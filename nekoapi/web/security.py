"""Credentials: the three schemes of the spec, resolved to a session by one function.

HTTP requests reach ``token_info`` through Connexion's security handlers; the
WebSocket endpoint calls ``tokens_from_scope`` and then the same manager method.
"""

from __future__ import annotations

import http.cookies
from typing import Any
from urllib.parse import parse_qs

from connexion.exceptions import Forbidden, OAuthProblem
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler

from .. import errors, logs
from .state import services_of


async def token_info(token: str, request: Any) -> dict[str, Any]:
    sessions = services_of(request.scope).sessions
    try:
        session = await sessions.authenticate(token)
    except errors.LoginDisabled as exc:
        raise Forbidden(detail=exc.text) from None
    except errors.NotAuthenticated as exc:
        raise OAuthProblem(detail=exc.text) from None
    logs.bind_session(session.id)
    return {"sub": session.id, "session": session}


class _DirectCheck:
    """Calls ``token_info`` directly: Connexion inspects the function's signature per request."""

    def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
        return token_info

    def _generic_check(self, func: Any, exception_msg: str) -> Any:
        async def check(request: Any, token: str, required_scopes: Any = None) -> dict[str, Any]:
            return await token_info(token, request)

        return check


class _BearerHandler(_DirectCheck, BearerSecurityHandler):
    pass


class _ApiKeyHandler(_DirectCheck, ApiKeySecurityHandler):
    pass


SECURITY_MAP = {"bearer": _BearerHandler, "apiKey": _ApiKeyHandler}


def tokens_from_scope(scope: dict[str, Any], cookie_name: str) -> list[str]:
    """The tokens a WebSocket handshake carries, in Neko's order: cookie, header, query.

    All of them, not just the first: a browser sends whatever cookie it holds for the host
    (cookies ignore the port, so one left by another server there too), and that stale
    cookie must not hide the ``?token=`` a client put in the URL.
    """
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    found: list[str] = []
    cookie = _cookie(headers.get("cookie"), cookie_name)
    if cookie:
        found.append(cookie)
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        found.append(value.strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    found.extend(query.get("token", [])[:1])
    return found


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar = http.cookies.SimpleCookie()
    try:
        jar.load(header)
    except http.cookies.CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None
