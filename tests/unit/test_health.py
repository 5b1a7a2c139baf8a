"""Services.health asks every component that has a backing store; the member providers plug in here."""

from __future__ import annotations

import pytest

from nekoapi import errors
from nekoapi.models import USER_PROFILE, MemberProfile
from nekoapi.services import Services
from tests.support.factory import make_config


class UnreachableProvider:
    """A member provider whose database is down."""

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        return username, USER_PROFILE

    async def ping(self) -> None:
        raise ConnectionRefusedError("connection refused")


async def test_memory_only_is_always_healthy() -> None:
    await Services(make_config(NEKO_SESSION_STORE="memory")).health()


async def test_a_provider_with_an_unreachable_store_is_named() -> None:
    services = Services(make_config(), {"members": UnreachableProvider()})
    with pytest.raises(errors.BackingStoreUnavailable) as error:
        await services.health()
    assert error.value.text == "member provider unreachable"
