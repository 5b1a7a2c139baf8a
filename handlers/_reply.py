"""What every handler needs: the running services, the caller, and reply shapes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.responses import Response

from nekoapi.services import Services
from nekoapi.sessions.session import Session
from nekoapi.web.cookies import set_session_cookie
from nekoapi.web.state import request_scope, services_of


def services() -> Services:
    return services_of(request_scope())


def client_address() -> str | None:
    client = request_scope().get("client")
    return client[0] if client else None


def caller(token_info: dict[str, Any]) -> Session:
    return token_info["session"]  # type: ignore[no-any-return]


def json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def json_array(encoded: Iterable[bytes]) -> Response:
    """A JSON array of items encoded already: the bytes ``json(list)`` would send."""
    return Response(b"[" + b",".join(encoded) + b"]", media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


def logged_in(session: Session, token: str) -> Response:
    """A login's answer: the session, with its token in the body or, with cookies enabled, in the cookie."""
    cookie = services().config.session.cookie
    data = session.data()
    if not cookie.enabled:
        data["token"] = token
    reply = json(data)
    if cookie.enabled:
        set_session_cookie(reply, token, cookie)
    return reply
