"""Password hashing: argon2id for everything we write, Neko's legacy formats for reading."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..config import MemberConfig

ARGON2_PREFIX = "$argon2"


class Passwords:
    """Hashes and checks passwords off the event loop (argon2 costs tens of milliseconds)."""

    def __init__(self, config: MemberConfig) -> None:
        self._hasher = PasswordHasher(time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib)
        # Checked when the username is unknown, so a miss costs as much time as a wrong password.
        self._decoy = self._hasher.hash("decoy password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches the argon2 hash ``stored``; ``None`` (no such member) never matches."""
        ok = await asyncio.to_thread(self._verify, stored if stored is not None else self._decoy, password)
        return ok and stored is not None

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify_neko(self, stored: str | None, password: str, *, hashed: bool) -> bool:
        """Neko's file format: argon2 entries we wrote, else base64(SHA-256) or plain text."""
        if stored is None or stored.startswith(ARGON2_PREFIX):
            return await self.verify(stored, password)
        given = neko_sha256(password) if hashed else password
        return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), stored.encode("utf-8", "surrogatepass"))


def neko_sha256(password: str) -> str:
    """Neko's ``member.file.hash`` format: unsalted SHA-256, base64 of the raw digest (not hex)."""
    return base64.b64encode(hashlib.sha256(password.encode()).digest()).decode()
