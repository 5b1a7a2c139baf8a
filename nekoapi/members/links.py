"""Share links: an administrator makes one; whoever holds its token logs in as a guest, without a password.

A link is watch-only or lets its guests host; it admits a number of logins (or any) until it
expires (or for ever), and can be revoked. Its token (256 random bits) is shown once, at
creation; the store keeps its SHA-256 digest, looked up by index and compared in constant time.
A guest's session belongs to no member: its id starts with ``guest~``, which no member's may.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from .. import errors
from ..config import Config
from ..models import GUEST_ID_PREFIX, MemberProfile
from ..sessions.manager import SessionManager
from ..sessions.session import Session
from ..throttle import LoginThrottle
from .link_stores import LinkStore, RedisLinkStore, ShareLink, SqliteLinkStore

DEFAULT_GUEST_NAME = "Guest"


def guest_profile(name: str, can_host: bool) -> MemberProfile:
    """Watch-only guests watch; may-host guests also host, share media and use the clipboard."""
    return MemberProfile(name=name, can_host=can_host, can_share_media=can_host, can_access_clipboard=can_host)


def create_link_store(config: Config) -> LinkStore:
    if config.session.store == "redis":
        return RedisLinkStore(config.redis)
    return SqliteLinkStore(config.session.links_file)


class ShareLinks:
    def __init__(
        self,
        store: LinkStore,
        sessions: SessionManager,
        throttle: LoginThrottle,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._sessions, self._throttle = store, sessions, throttle
        self.clock = clock  # seconds since the epoch; tests move it

    async def create(
        self, caller: Session, *, can_host: bool, uses: int, expires_in: int, name: str
    ) -> tuple[ShareLink, str]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        link = ShareLink(
            id=secrets.token_hex(8),
            digest=_digest(token),
            name=name or DEFAULT_GUEST_NAME,
            can_host=can_host,
            uses=uses,
            uses_left=uses or None,
            expires_at=now + expires_in if expires_in else None,
            created_at=now,
            created_by=caller.id,
        )
        await self._store.add(link)
        return link, token

    async def list(self) -> list[ShareLink]:
        return await self._store.all(self.clock())

    async def revoke(self, link_id: str) -> None:
        if not await self._store.revoke(link_id):
            raise errors.LinkNotFound()

    async def login(self, token: str, name: str | None, address: str | None) -> tuple[Session, str]:
        """A guest session for the link of ``token`` (one of its uses); ``address`` is the client's."""
        digest = _digest(token)
        # Refused before the link is used: a locked room must not eat a single-use link.
        self._sessions.admit(guest_profile(DEFAULT_GUEST_NAME, False))
        # Keyed by the guess itself, so only the address is ever throttled: guesses share no username.
        self._throttle.begin(address, digest.hex())
        try:
            link = await self._store.use(digest, self.clock())
        except BaseException:
            self._throttle.refund(address, digest.hex())
            raise
        if link is None or not hmac.compare_digest(link.digest, digest):
            raise errors.LinkInvalid()
        self._throttle.succeeded(address, digest.hex())
        profile = guest_profile(name or link.name, link.can_host)
        return await self._sessions.open_guest(GUEST_ID_PREFIX + secrets.token_hex(8), profile)

    async def close(self) -> None:
        await self._store.close()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
