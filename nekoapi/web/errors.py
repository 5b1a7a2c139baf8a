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
    # members
    errors.MemberNotFound: 404,
    errors.MemberAlreadyExists: 409,
    errors.InvalidMemberData: 422,
    errors.MemberOperationUnsupported: 403,
    # room
    errors.CannotHost: 403,
    errors.ControlsLocked: 403,
    errors.HostOrAdminRequired: 403,
    errors.TargetNotFound: 404,
    errors.TargetCannotHost: 400,
    errors.NotHost: 409,  # a state conflict (Neko's server: 422); see docs/compatibility.md
    errors.PrivateModeEnabled: 422,
    # operability: metrics and health
    errors.BackingStoreUnavailable: 503,
    # desktop
    errors.CannotWatch: 403,
    errors.ClipboardForbidden: 403,
    errors.HostRequired: 403,
    errors.UploadForbidden: 403,
    errors.DesktopUnavailable: 503,
    errors.MediaCaptureFailing: 503,
    errors.AudioUnavailable: 503,
    errors.ScreenSizeUnavailable: 422,
    errors.KeyboardMapInvalid: 404,  # XKB has no such layout or variant (Neko: 500)
    # desktop-io: clipboard and uploads
    errors.ClipboardEmpty: 404,  # Neko: 500
    errors.UploadInvalid: 400,
    # What the room is (a feature switched off, no dialog open, no window taking the drop), not the
    # request: conflicts (Neko: 400, 422 and 500); see docs/compatibility.md.
    errors.UploadDisabled: 409,
    errors.FileChooserNotOpen: 409,
    errors.DesktopRefused: 409,
    errors.MetricsDisabled: 404,
    errors.NestedBatch: 422,
    errors.BatchTooLarge: 413,
    # security
    errors.LoginThrottled: 429,
    errors.UploadsInFlight: 429,
    errors.ServerUploadsInFlight: 503,
    # broadcast and screencast
    errors.BroadcastUrlMissing: 400,
    errors.BroadcastUrlUnsupported: 400,
    errors.BroadcastActive: 409,  # the room's state (Neko: 422); see docs/compatibility.md
    errors.BroadcastInactive: 409,  # nothing to stop (Neko: 422)
    errors.BroadcastUnreachable: 404,  # no RTMP server took the stream at the URL given (Neko: 204, or 500)
    errors.BroadcastFailed: 503,  # our own fault, e.g. no ffmpeg (Neko: 500)
    errors.RecordingActive: 409,
    errors.RecordingInactive: 409,
    errors.RecordingNotFound: 404,
    errors.RecordingNameInvalid: 400,
    errors.RecordingFailed: 503,
    errors.ScreencastDisabled: 409,  # the room's configuration, not the request (Neko: 400)
    errors.ScreencastNoFallback: 409,  # no private-mode picture yet (Neko: 400)
    errors.ScreencastUnavailable: 503,  # Neko: 500
    # plugins
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
    # automation, share links, browser profile (ours)
    errors.AutomationForbidden: 403,
    errors.AutomationUnavailable: 503,
    errors.UpgradeRequired: 426,
    errors.ControlHeld: 409,
    errors.NotTakenOver: 409,
    errors.GiveBackForbidden: 403,
    errors.LinkNotFound: 404,
    errors.LinkInvalid: 401,
    errors.ProfileArchiveInvalid: 400,
    errors.ProfileArchiveTooLarge: 413,
    errors.ProfileBusy: 409,
    # Neko's legacy (v2) paths: Neko's statuses
    errors.V2Disabled: 404,
    errors.V2PasswordRefused: 403,
    errors.V2Banned: 403,
    errors.V2AdminRequired: 401,
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
