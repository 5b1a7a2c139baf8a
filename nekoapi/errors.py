"""Domain errors. Each says what went wrong; ``nekoapi.web.errors`` maps them to HTTP."""

from __future__ import annotations


class NekoError(Exception):
    """Base of every error the core raises on purpose."""

    message = "request failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)

    @property
    def text(self) -> str:
        return str(self.args[0])


# --- authentication --------------------------------------------------------
class NotAuthenticated(NekoError):
    message = "invalid or missing credentials"


class LoginDisabled(NekoError):
    message = "login is disabled for this session"


class InvalidCredentials(NekoError):
    message = "wrong username or password"


class LoginsLocked(NekoError):
    message = "logins are locked for non-administrators"


# --- permissions -----------------------------------------------------------
class AdminRequired(NekoError):
    message = "only administrators may do this"


class ProfileChangeForbidden(NekoError):
    message = "only administrators may change profile fields other than name"


class ApiProfileFixed(ProfileChangeForbidden):
    message = "the API session's profile cannot be changed"


class ReservedMemberId(NekoError):
    """A member whose id is the API session's (a members file or multiuser login named API)."""

    message = "the member id API is reserved for the API session"


# --- sessions --------------------------------------------------------------
class SessionNotFound(NekoError):
    message = "session not found"


class SessionAlreadyConnected(NekoError):
    message = "session already connected"


class CannotDeleteOwnSession(NekoError):
    message = "cannot delete own session"


class CannotLogout(NekoError):
    message = "this session cannot log out"


# --- members (issue 3) -----------------------------------------------------
class MemberNotFound(NekoError):
    message = "member not found"

    @classmethod
    def of(cls, member_id: str) -> MemberNotFound:
        return cls(f"member not found: {member_id}")


class MemberAlreadyExists(NekoError):
    message = "member already exists"


class InvalidMemberData(NekoError):
    """Well-formed JSON that still cannot become a member (an empty username or password)."""

    message = "invalid member data"


class MemberOperationUnsupported(NekoError):
    """The configured member provider cannot do this (e.g. create members in multiuser mode)."""

    message = "the member provider cannot do this"


# --- room (issue 4) --------------------------------------------------------
class CannotHost(NekoError):
    message = "session cannot host"


class PrivateModeEnabled(NekoError):
    message = "private mode is enabled"


class ControlsLocked(NekoError):
    message = "controls are locked"


class NotHost(NekoError):
    message = "session is not the host"


class HostOrAdminRequired(NekoError):
    message = "only the host or an administrator may give control"


class TargetNotFound(NekoError):
    message = "target session was not found"


class TargetCannotHost(NekoError):
    message = "target session is not allowed to host"


# --- operability (issue 7) -------------------------------------------------
class BackingStoreUnavailable(NekoError):
    message = "a backing store is unreachable"


class MetricsDisabled(NekoError):
    message = "metrics are disabled (server.metrics)"


class NestedBatch(NekoError):
    message = "a batch cannot contain another batch"


class BatchTooLarge(NekoError):
    message = "too many sub-requests in one batch"


# --- security (issue 8) ----------------------------------------------------
class LoginThrottled(NekoError):
    message = "too many failed logins; try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


# --- desktop (issue 13) ----------------------------------------------------
class CannotWatch(NekoError):
    message = "session cannot watch"


class ClipboardForbidden(NekoError):
    message = "session cannot access clipboard"


class HostRequired(NekoError):
    message = "session is not host"


class UploadForbidden(NekoError):
    message = "without implicit hosting, only host can upload files"


class DesktopUnavailable(NekoError):
    message = "desktop is not available"


# --- broadcast and screencast (issue 13) -----------------------------------
class BroadcastUrlMissing(NekoError):
    message = "missing broadcast URL"


class BroadcastUrlUnsupported(NekoError):
    message = "broadcast URL must start with rtmp:// or rtmps://"


class BroadcastActive(NekoError):
    message = "server is already broadcasting"


class BroadcastInactive(NekoError):
    message = "server is not broadcasting"


class BroadcastFailed(NekoError):
    """The RTMP server could not be reached or refused the stream."""

    message = "broadcast could not start"


class ScreencastDisabled(NekoError):
    message = "screencast pipeline is not enabled"


class ScreencastNoFallback(NekoError):
    message = "private mode is enabled but no fallback image available"


class ScreencastUnavailable(NekoError):
    """The display is up but gave no frame in time."""

    message = "timed out waiting for the first screencast image"


# --- plugins (issue 15) ----------------------------------------------------
class ChatForbidden(NekoError):
    message = "not allowed to send chat messages"


class FileTransferDisabled(NekoError):
    message = "file transfer is disabled"


class FileTransferForbidden(NekoError):
    """A non-administrator without the matching ``filetransfer.user_*`` flag; the message names the action."""

    message = "file transfer is not allowed for non-admin users"

    @classmethod
    def of(cls, action: str) -> FileTransferForbidden:
        return cls(f"file {action} is not allowed for non-admin users")


class BadFilename(NekoError):
    message = "bad filename"


class FileNotFound(NekoError):
    message = "file not found"


class NoFilesUploaded(NekoError):
    message = "no files in the upload (multipart field `files`)"


class TooManyFiles(NekoError):
    message = "too many files in one upload"


class UploadTooLarge(NekoError):
    message = "upload is larger than filetransfer.max_upload_size"


class FileTransferUnavailable(NekoError):
    message = "the file transfer directory is not available"


class OpenInAppDisabled(NekoError):
    message = "openinapp is disabled"


class OpenLinkForbidden(NekoError):
    message = "only the host can open links"


class BadLink(NekoError):
    message = "URL must use http or https scheme"


class OpenCommandFailed(NekoError):
    message = "the open command could not be started"


class SessionNotAdmin(AdminRequired):
    message = "session is not admin"  # Neko's Admin guard on the desktop routes


class ScreenSizeUnavailable(NekoError):
    message = "cannot set screen size"


class KeyboardMapInvalid(NekoError):
    message = "cannot set keyboard map"


# --- desktop-io (issue 13): clipboard and uploads ---------------------------
class ClipboardEmpty(NekoError):
    """Nothing in the clipboard can be read as the requested type (Neko answers 500)."""

    message = "clipboard holds no text"


class UploadInvalid(NekoError):
    """A well-formed upload form that lacks what the operation needs (Neko's 400 messages)."""

    message = "no files received"


class UploadDisabled(NekoError):
    message = "upload drop is disabled"


class FileChooserNotOpen(NekoError):
    message = "file chooser dialog is not open"


class DesktopRefused(NekoError):
    """The desktop did not do what was asked (a drop nobody accepted, a dialog that stayed open)."""

    message = "the desktop did not accept the upload"
