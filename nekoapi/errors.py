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
    guests = "member ids starting with guest~ are reserved for the guests of share links"


# --- sessions --------------------------------------------------------------
class SessionNotFound(NekoError):
    message = "session not found"


class SessionAlreadyConnected(NekoError):
    message = "session already connected"


class CannotDeleteOwnSession(NekoError):
    message = "cannot delete own session"


class CannotLogout(NekoError):
    message = "this session cannot log out"


# --- members ---------------------------------------------------------------
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


# --- room ------------------------------------------------------------------
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


# --- operability -----------------------------------------------------------
class BackingStoreUnavailable(NekoError):
    message = "a backing store is unreachable"


class StoreUnusable(NekoError):
    """A file the configuration names cannot be opened or read when the server is built (the
    message names the key); ``nekoapi`` reports it in one line and does not start."""

    message = "a configured store cannot be used"


class MetricsDisabled(NekoError):
    message = "metrics are disabled (server.metrics)"


class NestedBatch(NekoError):
    message = "a batch cannot contain another batch"


class BatchTooLarge(NekoError):
    message = "too many sub-requests in one batch"


# --- security --------------------------------------------------------------
class LoginThrottled(NekoError):
    message = "too many failed logins; try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class UploadsInFlight(NekoError):
    """The session's uploads being received would pass ``server.upload_in_flight_per_session``."""

    message = "this session is already sending as many upload bytes as it may; retry when one is done"


class ServerUploadsInFlight(NekoError):
    """All uploads being received would pass ``server.upload_in_flight``."""

    message = "the server is receiving as many upload bytes as it may; retry later"


# --- desktop ---------------------------------------------------------------
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


class MediaCaptureFailing(NekoError):
    """A capture someone watches keeps failing (it is being started again); the message names it."""

    message = "a media capture is failing"


class AudioUnavailable(NekoError):
    """nekoapi's own PulseAudio is down (it is being restarted): the room has no sound meanwhile."""

    message = "desktop audio is not available: PulseAudio is not running"


# --- broadcast and screencast ----------------------------------------------
class BroadcastUrlMissing(NekoError):
    message = "missing broadcast URL"


class BroadcastUrlUnsupported(NekoError):
    message = "broadcast URL must start with rtmp:// or rtmps://"


class BroadcastActive(NekoError):
    message = "server is already broadcasting"


class BroadcastInactive(NekoError):
    message = "server is not broadcasting"


class BroadcastUnreachable(NekoError):
    """The RTMP address the caller gave led to no server that took the stream (refused, unknown,
    silent): the caller's input, so a 4xx; the message says why."""

    message = "broadcast could not start: the RTMP server cannot be reached"


class BroadcastFailed(NekoError):
    """The push could not start for a reason of ours (no ffmpeg, the encoder or the grab failed)."""

    message = "broadcast could not start"


class RecordingActive(NekoError):
    message = "the room is already being recorded"


class RecordingInactive(NekoError):
    message = "the room is not being recorded"


class RecordingNotFound(NekoError):
    message = "no recording has that name"


class RecordingNameInvalid(NekoError):
    message = "not a recording's name"


class RecordingFailed(NekoError):
    """A recording could not start for a reason of ours: its directory cannot be written, say."""

    message = "recording could not start"


class ScreencastDisabled(NekoError):
    message = "screencast pipeline is not enabled"


class ScreencastNoFallback(NekoError):
    message = "private mode is enabled but no fallback image available"


class ScreencastUnavailable(NekoError):
    """The display is up but gave no frame in time."""

    message = "timed out waiting for the first screencast image"


# --- plugins ---------------------------------------------------------------
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


# --- desktop-io: clipboard and uploads --------------------------------------
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


# --- automation: the room's browser over CDP, the human hand-over ----------
class AutomationForbidden(NekoError):
    message = "session cannot automate (profile field can_automate)"


class AutomationUnavailable(NekoError):
    """No browser to drive: the desktop or its app is down, or the app is not Chromium."""

    message = "automation is not available: the room's browser is not running"


class UpgradeRequired(NekoError):
    message = "this endpoint is a WebSocket: connect with a WebSocket client (Upgrade: websocket)"


class ControlHeld(NekoError):
    """Taking the browser over needs control of the desktop, which another session holds."""

    message = "another session holds control of the desktop; it was asked to give it"


class NotTakenOver(NekoError):
    message = "the browser is not taken over: automation is running"


class GiveBackForbidden(NekoError):
    message = "only the session that took the browser over, or an administrator, can give it back"


# --- share links -----------------------------------------------------------
class LinkNotFound(NekoError):
    message = "share link not found"


class LinkInvalid(NekoError):
    """An unknown, revoked, expired or used-up link token: which one is not told."""

    message = "invalid, expired or used share link"


# --- browser profile -------------------------------------------------------
class ProfileArchiveInvalid(NekoError):
    message = "not a valid browser profile archive"


class ProfileArchiveTooLarge(NekoError):
    message = "the profile archive unpacks to more than desktop.profile_max_size"


class ProfileBusy(NekoError):
    message = "another profile reset, import or export is running"


# --- Neko's legacy (v2) HTTP paths -----------------------------------------
class V2Disabled(NekoError):
    message = "Neko's v2 API is off (legacy: false)"


class V2Banned(NekoError):
    """An address an administrator banned over the v2 WebSocket (``admin/ban``), on a v2 path."""

    message = "banned ip"


class V2PasswordRefused(NekoError):
    """Any refused ``?pwd=`` (and ``?usr=``): Neko's legacy layer answers every failed login 403."""

    message = "wrong password"


class V2AdminRequired(NekoError):
    """A user's password on a v2 path for administrators: Neko answers 401 with this text."""

    message = "bad authorization"
