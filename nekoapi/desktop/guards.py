"""Neko's permission guards for the desktop operations, in the order Neko runs them.

Each raises the domain error its refusal maps to; callers run them left to right
as the facts sheet's table lists them (e.g. clipboard: ``clipboard`` then ``host``).
"""

from __future__ import annotations

from .. import errors
from ..models import Settings
from ..sessions import rules
from ..sessions.session import Session


def can_watch(session: Session) -> None:
    if not session.profile.can_watch:
        raise errors.CannotWatch()


def can_host(session: Session, settings: Settings) -> None:
    rules.check_may_host(session, settings)


def host(session: Session, host_id: str | None) -> None:
    if host_id != session.id:
        raise errors.HostRequired()


def clipboard(session: Session) -> None:
    if not session.profile.can_access_clipboard:
        raise errors.ClipboardForbidden()


def upload(session: Session, host_id: str | None, settings: Settings) -> None:
    """The host, or anyone who may host when implicit hosting is on (private mode is not checked, as in Neko)."""
    if not rules.acts_as_host(session, host_id, settings):
        raise errors.UploadForbidden()
