"""Session tokens: 256 random bits, kept only as a digest, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """64 hex characters, as long as Neko's tokens."""
    return secrets.token_hex(32)


def token_digest(token: str) -> bytes:
    """What stores keep and index instead of the token itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def same_token(digest: bytes, token: str) -> bool:
    return hmac.compare_digest(digest, token_digest(token))
