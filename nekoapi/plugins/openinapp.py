"""Neko's openinapp plugin: ``POST /api/openinapp/openlink`` opens a link on the desktop.

The link is opened by running ``openinapp.open_command <url>`` with ``DISPLAY`` set
to the desktop's display (``services.desktop``). While the desktop is down, or with
``desktop.enabled: false``, there is nowhere to open it: 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from typing import Any, Protocol
from urllib.parse import urlsplit

from .. import errors
from ..children import spawn
from ..config import OpenInAppConfig
from ..sessions import rules
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import LinkOpener, RoomPart
from .permissions import allowed

log = logging.getLogger(__name__)

OPENINAPP_INIT = "openinapp/init"


class DesktopDisplay(Protocol):
    """What the plugin needs of ``services.desktop`` (the ``Desktop`` protocol in types.py)."""

    @property
    def display(self) -> str | None: ...

    async def require(self) -> None: ...


class OpenInApp(RoomPart):
    def __init__(
        self,
        config: OpenInAppConfig,
        sessions: SessionManager,
        desktop: DesktopDisplay | None = None,
        opener: LinkOpener | None = None,
    ) -> None:
        self.config = config
        self._sessions = sessions
        self.desktop = desktop  # services.desktop: links open on its display while it is up
        self._display: str | None = None  # see ``attach_display``
        self.opener: LinkOpener = opener or CommandLinkOpener(config.open_command)

    def attach_display(self, display: str) -> None:
        """Links open on ``display`` whatever the desktop's state (an X server of the caller's)."""
        self._display = display

    async def display(self) -> str:
        """Where links open now; raises ``DesktopUnavailable`` while the desktop is down or disabled."""
        if self._display is not None:
            return self._display
        if self.desktop is None:
            raise errors.DesktopUnavailable()
        await self.desktop.require()  # names the reason: disabled, or which display is down
        display = self.desktop.display
        if display is None:
            raise errors.DesktopUnavailable()
        return display

    def enabled_for(self, session: Session) -> bool:
        return self.config.enabled and allowed(session, self._sessions.settings, "openinapp.enabled")

    def greet(self, session: Session) -> None:
        session.send(OPENINAPP_INIT, {"enabled": self.enabled_for(session)})

    def events(self) -> dict[str, Any]:
        return {}  # Neko's plugin has no WebSocket handler

    async def open_link(self, session: Session, url: str) -> None:
        if not self.enabled_for(session):
            raise errors.OpenInAppDisabled()
        if not rules.acts_as_host(session, self._sessions.host_id, self._sessions.settings):
            raise errors.OpenLinkForbidden()
        check_link(url)
        await self.opener.open(url, await self.display())


def check_link(url: str) -> None:
    """An absolute http(s) URL with a host, and nothing a command line could mistake for more."""
    if not url or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise errors.BadLink("invalid URL")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise errors.BadLink("invalid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise errors.BadLink()
    if not parts.hostname:
        raise errors.BadLink("invalid URL: no host")


class CommandLinkOpener:
    """Runs the open command on a display; does not wait for the application it starts."""

    def __init__(self, command: str) -> None:
        self._argv = shlex.split(command)
        self._running: set[asyncio.Task[int]] = set()

    async def open(self, url: str, display: str) -> None:
        try:
            process = await spawn([*self._argv, url], env={**os.environ, "DISPLAY": display}, start_new_session=True)
        except (OSError, ValueError) as exc:
            log.warning("openinapp: cannot run %s: %s", self._argv[:1], type(exc).__name__)
            raise errors.OpenCommandFailed() from None
        # Reaped in the background, so no zombie is left behind.
        task = asyncio.create_task(process.wait())
        self._running.add(task)
        task.add_done_callback(self._running.discard)
