"""The session cookie, with the attributes ``session.cookie.*`` configures."""

from __future__ import annotations

from typing import Literal

from starlette.responses import Response

from ..config import CookieConfig


def set_session_cookie(response: Response, token: str, cookie: CookieConfig) -> None:
    response.set_cookie(
        cookie.name,
        token,
        max_age=int(cookie.expiration),
        path=cookie.path or "/",
        domain=cookie.domain or None,
        secure=cookie.secure,
        httponly=cookie.http_only,
        samesite=_same_site(cookie),
    )


def clear_session_cookie(response: Response, cookie: CookieConfig) -> None:
    response.delete_cookie(
        cookie.name,
        path=cookie.path or "/",
        domain=cookie.domain or None,
        secure=cookie.secure,
        httponly=cookie.http_only,
        samesite=_same_site(cookie),
    )


def expired_cookie_header(cookie: CookieConfig) -> str:
    """A ``Set-Cookie`` value that makes the browser drop the session cookie."""
    response = Response()
    clear_session_cookie(response, cookie)
    return response.headers["set-cookie"]


def _same_site(cookie: CookieConfig) -> Literal["strict", "lax", "none"]:
    # As Neko: a Secure cookie may travel cross-site (a client served from another
    # origin); browsers reject SameSite=None without Secure, so fall back to Lax.
    return "none" if cookie.secure else "lax"
