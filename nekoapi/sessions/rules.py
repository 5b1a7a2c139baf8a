"""The room's permission rules, written once (Neko's, from its session and websocket handlers).

- Hosting needs ``can_host``; in private mode only administrators may host.
- In private mode a non-administrator's media pause and its screencast shows the still picture.
- Locked controls keep non-administrators from taking control; a non-administrator who holds
  control loses it when controls lock or private mode comes on.
- Implicit hosting lets anyone who may host act as the host (take control by input, upload).
"""

from __future__ import annotations

from .. import errors
from ..models import MemberProfile, Settings
from .session import Session


def private_for(profile: MemberProfile, settings: Settings) -> bool:
    """Private mode applies to this profile: its media pause and it may not host."""
    return settings.private_mode and not profile.is_admin


def may_host(profile: MemberProfile, settings: Settings) -> bool:
    return profile.can_host and not private_for(profile, settings)


def check_may_host(session: Session, settings: Settings) -> None:
    """Raises ``CannotHost`` or ``PrivateModeEnabled`` (in that order, as Neko checks them)."""
    if not session.profile.can_host:
        raise errors.CannotHost()
    if private_for(session.profile, settings):
        raise errors.PrivateModeEnabled()


def controls_locked_for(profile: MemberProfile, settings: Settings) -> bool:
    return settings.locked_controls and not profile.is_admin


def keeps_control(profile: MemberProfile, settings: Settings) -> bool:
    """Whether a host keeps control under new settings."""
    return profile.is_admin or not (settings.locked_controls or settings.private_mode)


def acts_as_host(session: Session, host_id: str | None, settings: Settings) -> bool:
    """The host, or, with implicit hosting, anyone who may host (private mode not checked, as in Neko)."""
    return host_id == session.id or (session.profile.can_host and settings.implicit_hosting)


def v2_input_allowed(session: Session, host_id: str | None, settings: Settings) -> bool:
    """Whose input on Neko v2's data channel reaches the desktop (Neko's ``LegacyIsHost``): one who may
    host, controls not locked for it, and the host or anyone with implicit hosting."""
    if not may_host(session.profile, settings) or controls_locked_for(session.profile, settings):
        return False
    return settings.implicit_hosting or host_id == session.id
