"""Neko's openinapp plugin: ``POST /api/openinapp/openlink`` opens a link on the desktop.

The link is opened by running ``openinapp.open_command <url>`` with ``DISPLAY`` set
to the desktop's display. Without a desktop there is nowhere to open it: 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from typing import Any
from urllib.parse import urlsplit

from .. import errors
from ..config import OpenInAppConfig
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..types import LinkOpener
from .permissions import allowed

log = logging.getLogger(__name__)

OPENINAPP_INIT = "openinapp/init"


class OpenInApp:
    def __init__(self, config: OpenInAppConfig, sessions: SessionManager, opener: LinkOpener | None = None) -> None:
        self.config = config
        self._sessions = sessions
        self.opener = opener  # set when a desktop exists (see ``attach_display``)

    def attach_display(self, display: str) -> None:
        """The desktop is up: links open on ``display``."""
        self.opener = CommandLinkOpener(self.config.open_command, display)

    def enabled_for(self, session: Session) -> bool:
        return self.config.enabled and allowed(session, self._sessions.settings, "openinapp.enabled")

    def greet(self, session: Session) -> None:
        session.send(OPENINAPP_INIT, {"enabled": self.enabled_for(session)})

    def events(self) -> dict[str, Any]:
        return {}  # Neko's plugin has no WebSocket handler

    async def open_link(self, session: Session, url: str) -> None:
        if not self.enabled_for(session):
            raise errors.OpenInAppDisabled()
        settings = self._sessions.settings
        if self._sessions.host_id != session.id and not (session.profile.can_host and settings.implicit_hosting):
            raise errors.OpenLinkForbidden()
        check_link(url)
        if self.opener is None:
            raise errors.DesktopUnavailable()
        await self.opener.open(url)


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
    """Runs the open command on the display; does not wait for the application it starts."""

    def __init__(self, command: str, display: str) -> None:
        self._argv = shlex.split(command)
        self._env = {**os.environ, "DISPLAY": display}
        self._running: set[asyncio.Task[int]] = set()

    async def open(self, url: str) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                url,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            log.warning("openinapp: cannot run %s: %s", self._argv[:1], type(exc).__name__)
            raise errors.OpenCommandFailed() from None
        # Reaped in the background, so no zombie is left behind.
        task = asyncio.create_task(process.wait())
        self._running.add(task)
        task.add_done_callback(self._running.discard)
