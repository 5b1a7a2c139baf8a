"""Member providers: where members and their passwords live, picked by ``member.provider``."""

from __future__ import annotations

from collections.abc import Callable

from ..config import ConfigError, MemberConfig
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
    factory = PROVIDERS.get(config.provider)
    if factory is None:
        choices = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"NEKO_MEMBER_PROVIDER: unknown provider {config.provider!r} (one of {choices})")
    return factory(config)
