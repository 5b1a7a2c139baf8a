"""The one error table: every error the server answers becomes ``{"message", "code"}`` JSON."""

from __future__ import annotations

import logging

import orjson
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from .. import errors
from .cookies import expired_cookie_header
from .state import services_of

log = logging.getLogger(__name__)

STATUS: dict[type[errors.NekoError], int] = {
    errors.NotAuthenticated: 401,
    errors.InvalidCredentials: 401,
    errors.LoginDisabled: 403,
    errors.LoginsLocked: 403,
    errors.AdminRequired: 403,
    errors.ProfileChangeForbidden: 403,
    errors.ReservedMemberId: 403,
    errors.SessionNotFound: 404,
    errors.CannotDeleteOwnSession: 400,
    errors.CannotLogout: 403,  # a valid request the caller may not make (schemathesis: not a 400)
    errors.SessionAlreadyConnected: 422,
    # members (issue 3)
    errors.MemberNotFound: 404,
    errors.MemberAlreadyExists: 409,
    errors.InvalidMemberData: 422,
    errors.MemberOperationUnsupported: 403,
    # room (issue 4)
    errors.CannotHost: 403,
    errors.ControlsLocked: 403,
    errors.HostOrAdminRequired: 403,
    errors.TargetNotFound: 404,
    errors.TargetCannotHost: 400,
    errors.NotHost: 409,  # a state conflict (Neko's server: 422); see docs/compatibility.md
    errors.PrivateModeEnabled: 422,
    # operability (issue 7)
    errors.BackingStoreUnavailable: 503,
    # desktop
    errors.CannotWatch: 403,
    errors.ClipboardForbidden: 403,
    errors.HostRequired: 403,
    errors.UploadForbidden: 403,
    errors.DesktopUnavailable: 503,
    errors.ScreenSizeUnavailable: 422,
    errors.KeyboardMapInvalid: 422,
    # desktop-io: clipboard and uploads
    errors.ClipboardEmpty: 404,  # Neko: 500
    errors.UploadInvalid: 400,
    errors.UploadDisabled: 400,
    errors.FileChooserNotOpen: 422,
    errors.DesktopRefused: 422,  # Neko: 500
    errors.MetricsDisabled: 404,
    errors.NestedBatch: 422,
    errors.BatchTooLarge: 413,
    # security (issue 8)
    errors.LoginThrottled: 429,
    # broadcast and screencast (issue 13)
    errors.BroadcastUrlMissing: 400,
    errors.BroadcastUrlUnsupported: 400,
    errors.BroadcastActive: 422,
    errors.BroadcastInactive: 422,
    errors.BroadcastFailed: 502,  # Neko: 500; see docs/compatibility.md
    errors.ScreencastDisabled: 400,
    errors.ScreencastNoFallback: 400,
    errors.ScreencastUnavailable: 503,  # Neko: 500
    # plugins (issue 15)
    errors.ChatForbidden: 403,
    errors.FileTransferDisabled: 403,
    errors.FileTransferForbidden: 403,
    errors.BadFilename: 400,
    errors.FileNotFound: 404,
    errors.NoFilesUploaded: 400,
    errors.TooManyFiles: 413,
    errors.UploadTooLarge: 413,
    errors.FileTransferUnavailable: 503,
    errors.OpenInAppDisabled: 403,
    errors.OpenLinkForbidden: 403,
    errors.BadLink: 400,
    errors.OpenCommandFailed: 503,
}


def status_of(exc: errors.NekoError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    raise LookupError(f"{type(exc).__name__} has no HTTP status in the error table")


def error_body(status: int, message: str) -> bytes:
    return orjson.dumps({"message": message, "code": status})


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> ConnexionResponse:
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return ConnexionResponse(
        status_code=status, mimetype="application/json", body=error_body(status, message), headers=headers
    )


def domain_error(exc: errors.NekoError) -> ConnexionResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.LoginThrottled) else None
    return json_error(status_of(exc), exc.text, headers)


def domain_error_response(exc: errors.NekoError) -> Response:
    """The same answer as a Starlette response, for the handler boundary (see fastpath)."""
    reply = domain_error(exc)
    return Response(reply.body, status_code=reply.status_code, headers=reply.headers, media_type=reply.mimetype)


async def on_domain_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, errors.NekoError)
    return domain_error(exc)


async def on_http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Connexion's own problems (400, 401, 403, 404, 405, 415) and Starlette's routing errors."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else _generic(exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        cookie = services_of(request.scope).config.session.cookie
        if cookie.name in request.cookies:
            # A stale or forged session cookie: tell the browser to drop it.
            headers["Set-Cookie"] = expired_cookie_header(cookie)
    return json_error(exc.status_code, message, headers)


async def on_unexpected_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return json_error(500, "internal server error")


def _generic(status: int) -> str:
    return {404: "not found", 405: "method not allowed"}.get(status, "request failed")
