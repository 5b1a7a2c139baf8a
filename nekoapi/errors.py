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


# --- operability (issue 7) -------------------------------------------------
