"""Member providers: where members and their passwords live, picked by ``member.provider``.

The configuration allows only the names of ``PROVIDERS`` (``configkeys.member.Provider``; a test keeps
the two equal) and requires each provider's own keys, so building one never meets a bad setting.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import MemberConfig
from ..types import MemberProvider
from .file import FileMemberProvider
from .multiuser import MultiuserProvider
from .noauth import NoAuthProvider
from .object import ObjectProvider
from .postgres import create_postgres_provider
from .sqlite import create_sqlite_provider

PROVIDERS: dict[str, Callable[[MemberConfig], MemberProvider]] = {
    "sqlite": create_sqlite_provider,
    "postgres": create_postgres_provider,
    "file": FileMemberProvider,
    "object": ObjectProvider,
    "multiuser": lambda config: MultiuserProvider(config.multiuser),
    "noauth": lambda _config: NoAuthProvider(),
}


def create_provider(config: MemberConfig) -> MemberProvider:
    return PROVIDERS[config.provider](config)
