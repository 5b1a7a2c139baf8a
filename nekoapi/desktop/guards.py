"""Neko's permission guards for the desktop operations, in the order Neko runs them.

Each raises the domain error its refusal maps to; callers run them left to right
as the facts sheet's table lists them (e.g. clipboard: ``clipboard`` then ``host``).
"""

from __future__ import annotations

from .. import errors
from ..models import Settings
from ..sessions.session import Session


def can_watch(session: Session) -> None:
    if not session.profile.can_watch:
        raise errors.CannotWatch()


def can_host(session: Session, settings: Settings) -> None:
    if not session.profile.can_host:
        raise errors.CannotHost()
    if settings.private_mode and not session.profile.is_admin:
        raise errors.PrivateModeEnabled()


def host(session: Session, host_id: str | None) -> None:
    if host_id != session.id:
        raise errors.HostRequired()


def clipboard(session: Session) -> None:
    if not session.profile.can_access_clipboard:
        raise errors.ClipboardForbidden()


def upload(session: Session, host_id: str | None, settings: Settings) -> None:
    """The host, or anyone who may host when implicit hosting is on (private mode is not checked, as in Neko)."""
    if host_id == session.id:
        return
    if not (session.profile.can_host and settings.implicit_hosting):
        raise errors.UploadForbidden()
