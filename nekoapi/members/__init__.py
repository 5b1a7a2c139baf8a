"""Member providers: where members and their passwords live, picked by ``member.provider``."""

from __future__ import annotations

from collections.abc import Callable

from ..config import ConfigError, MemberConfig
from ..types import MemberProvider
from .multiuser import MultiuserProvider

PROVIDERS: dict[str, Callable[[MemberConfig], MemberProvider]] = {
    "multiuser": lambda config: MultiuserProvider(config.multiuser),
}


def create_provider(config: MemberConfig) -> MemberProvider:
    factory = PROVIDERS.get(config.provider)
    if factory is None:
        choices = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"NEKO_MEMBER_PROVIDER: unknown provider {config.provider!r} (one of {choices})")
    return factory(config)
