"""A v2 client's life on the room: logged in when its socket opens, its media requested, its
messages done (``inbound.py``), logged out when the socket closes (Neko's
``server/internal/http/legacy/handler.go`` and ``session.go``, without the second socket)."""

from __future__ import annotations

import logging

from .. import errors
from ..config import Config
from ..types import Connection
from .inbound import ToRoom
from .outbound import ToClient
from .peer import V2Peer
from .room import V2Client, V2Room
from .shapes import V2Message, message

log = logging.getLogger(__name__)


class Refused(Exception):
    """The socket is told ``goodbye`` (a v2 ``system/disconnect``) and closed."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__(text)
        self.goodbye: V2Message = message("system/disconnect", title=title, message=text)


BANNED = ("banned ip", "you are banned")
LOGIN_REFUSED = "couldn't create a new session"
# Neko's layer logs in through its own HTTP API and quotes the refusal behind this.
BACKEND_PREFIX = "error response from backend: "


class LegacyGateway:
    def __init__(self, config: Config, room: V2Room) -> None:
        self._config = config
        self.room = room
        self.inbound = ToRoom(room)

    async def open(self, connection: Connection, username: str, password: str, address: str | None) -> V2Client:
        """A logged-in session for a v2 socket, with its peer (not connected yet); raises ``Refused``."""
        if self.room.bans.is_banned(address):
            raise Refused(*BANNED)
        try:
            session, _token = await self.room.sessions.login(username, password, address)
        except errors.NekoError as exc:
            log.info("v2 websocket refused: %s", exc.text)
            raise Refused(LOGIN_REFUSED, BACKEND_PREFIX + exc.text) from None
        if address is not None:
            self.room.bans.addresses[session.id] = address
        limits = self._config.session
        translator = ToClient(session.id, session.profile.name, self._config.filetransfer.enabled)
        peer = V2Peer(connection, limits.send_queue_size, limits.send_queue_bytes, translator)
        return V2Client(session, peer, address)

    async def start(self, client: V2Client) -> None:
        """After the connect's greeting: the media, which Neko's layer requests for every v2 client."""
        await self.room.events.dispatch(client.session, "signal/request", {})

    async def close(self, client: V2Client) -> None:
        """The socket is gone: its session is logged out, as Neko's layer logs it out."""
        self.room.bans.addresses.pop(client.session.id, None)
        try:
            await self.room.sessions.logout(client.session)
        except errors.NekoError as exc:
            log.warning("v2 session %s not logged out: %s", client.session.id, exc.text)
