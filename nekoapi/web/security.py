"""Credentials: the three schemes of the spec, resolved to a session by one function.

HTTP requests reach ``token_info`` through Connexion's security handlers; the
WebSocket endpoint calls ``tokens_from_scope`` and then the same manager method.
Neko v2's paths take a password instead (``?pwd=``, the ``V2Password`` scheme):
``password_info`` checks it as a login would and answers a caller that lives for the
request only, so that no session is created, announced and deleted per request.
"""

from __future__ import annotations

import http.cookies
import secrets
from typing import Any
from urllib.parse import parse_qs

from connexion.exceptions import Forbidden, OAuthProblem
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler

from .. import errors, logs
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from .state import services_of

V2_PASSWORD = "pwd"  # Neko v2's query parameter; ``usr`` names the member (Neko v3 added it)


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


async def password_info(request: Any) -> dict[str, Any]:
    """The caller of a v2 path: ``?pwd=`` (missing is empty, as in Neko) checked with the login throttle
    and rules. v2 clients send no username; any name does for the multiuser provider (a password picks
    the profile), and each request gets its own so that nobody can throttle another's name."""
    services = services_of(request.scope)
    if not services.config.legacy:
        raise errors.V2Disabled()
    query = request.query_params
    username = query.get("usr") or f"v2-{secrets.token_hex(4)}"
    client = request.scope.get("client")
    address = client[0] if client else None
    if services.legacy.room.bans.is_banned(address):
        raise errors.V2Banned()  # before the password, as Neko checks it
    try:
        member_id, profile = await services.sessions.check_password(username, query.get(V2_PASSWORD, ""), address)
    except errors.InvalidCredentials:
        raise errors.V2PasswordRefused() from None
    logs.bind_session(member_id)
    return {"sub": member_id, "session": Session(member_id, b"", profile), "v2": True}


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
    def get_fn(self, security_scheme: dict[str, Any], required_scopes: Any) -> Any:
        if security_scheme.get("in") == "query" and security_scheme.get("name") == V2_PASSWORD:
            return password_info  # a missing password is checked too, as Neko checks it
        return super().get_fn(security_scheme, required_scopes)


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


async def session_of_scope(sessions: SessionManager, scope: dict[str, Any], cookie_name: str) -> Session:
    """The session of the first token a WebSocket handshake carries that authenticates; else the
    most telling refusal (``LoginDisabled`` over ``NotAuthenticated``)."""
    refusal: errors.NotAuthenticated | errors.LoginDisabled = errors.NotAuthenticated()
    for token in tokens_from_scope(scope, cookie_name):
        try:
            return await sessions.authenticate(token)
        except errors.LoginDisabled as exc:
            refusal = exc  # a real session that may not log in says more than an unknown token
        except errors.NotAuthenticated:
            pass
    raise refusal
