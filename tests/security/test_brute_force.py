"""Password guessing is throttled before any password is checked."""

from __future__ import annotations

import asyncio

import pytest

from nekoapi import errors
from nekoapi.members import PROVIDERS
from nekoapi.members.refusals import NoMembers
from nekoapi.models import MemberProfile
from tests.support.client import api_client
from tests.support.factory import make_config

RIGHT = "correct horse battery staple"


class CountingProvider(NoMembers):
    """Counts password checks: each one is the expensive (hashing) step of a real provider."""

    def __init__(self) -> None:
        self.checks = 0

    async def authenticate(self, username: str, password: str) -> tuple[str, MemberProfile]:
        self.checks += 1
        await asyncio.sleep(0.01)  # a real check hashes in a thread: other logins run meanwhile
        if password != RIGHT:
            raise errors.InvalidCredentials()
        return username, MemberProfile(name=username)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> CountingProvider:
    counting = CountingProvider()
    # In place of a provider the configuration knows (it refuses other names).
    monkeypatch.setitem(PROVIDERS, "multiuser", lambda config: counting)
    return counting


THROTTLED = make_config(
    NEKO_MEMBER_PROVIDER="multiuser",
    NEKO_SESSION_LOGIN_THROTTLE_FREE_ATTEMPTS="5",
    NEKO_SESSION_LOGIN_THROTTLE_BASE_DELAY="0.2",
    NEKO_SESSION_LOGIN_THROTTLE_MAX_DELAY="0.4",
)


# The right password comes a moment after the last guess: the back-off must outlast a loaded machine's pause.
PATIENT_THROTTLE = make_config(
    NEKO_MEMBER_PROVIDER="multiuser",
    NEKO_SESSION_LOGIN_THROTTLE_FREE_ATTEMPTS="5",
    NEKO_SESSION_LOGIN_THROTTLE_BASE_DELAY="0.2",
    NEKO_SESSION_LOGIN_THROTTLE_MAX_DELAY="5",
)


async def test_a_thousand_wrong_passwords_are_throttled(provider: CountingProvider) -> None:
    async with api_client(PATIENT_THROTTLE) as client:
        statuses = []
        for n in range(1000):
            response = await client.post("/api/login", json={"username": "victim", "password": f"guess-{n}"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["message"] == "too many failed logins; try again later"
        assert set(statuses) == {401, 429}
        # Only attempts that were let through cost a password check.
        assert provider.checks == statuses.count(401)
        assert statuses.count(429) > 900

        # The right password is refused too while throttled: throttling does not reveal it.
        refused = await client.post("/api/login", json={"username": "victim", "password": RIGHT})
        assert refused.status_code == 429
        await asyncio.sleep(int(refused.headers["retry-after"]))
        admitted = await client.post("/api/login", json={"username": "victim", "password": RIGHT})
        assert admitted.status_code == 200


async def test_concurrent_wrong_passwords_are_counted_before_they_are_checked(provider: CountingProvider) -> None:
    # A back-off far longer than the 100 guesses take to arrive, however loaded the machine.
    config = make_config(
        NEKO_MEMBER_PROVIDER="multiuser",
        NEKO_SESSION_LOGIN_THROTTLE_BASE_DELAY="30",
        NEKO_SESSION_LOGIN_THROTTLE_MAX_DELAY="300",
    )
    async with api_client(config) as client:
        guesses = [{"username": "victim", "password": f"guess-{n}"} for n in range(100)]
        answers = await asyncio.gather(*(client.post("/api/login", json=body) for body in guesses))
        statuses = [answer.status_code for answer in answers]
        # The free allowance and the one attempt that starts the back-off; the rest are refused unchecked.
        assert provider.checks == 6 and statuses.count(401) == 6 and statuses.count(429) == 94
        refused = await client.post("/api/login", json={"username": "victim", "password": RIGHT})
        # One failure over the allowance: the first step of the back-off, not the 300 s of 100 failures.
        assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 30


async def test_concurrent_logins_that_succeed_do_not_throttle_their_address(provider: CountingProvider) -> None:
    async with api_client(THROTTLED) as client:
        logins = [{"username": f"user{n}", "password": RIGHT} for n in range(20)]
        answers = await asyncio.gather(*(client.post("/api/login", json=body) for body in logins))
        assert {answer.status_code for answer in answers} <= {200, 429}
        assert (await client.post("/api/login", json={"username": "late", "password": RIGHT})).status_code == 200


async def test_other_usernames_from_the_guessing_address_are_throttled_too(provider: CountingProvider) -> None:
    async with api_client(THROTTLED) as client:
        for n in range(6):
            await client.post("/api/login", json={"username": f"user{n}", "password": "wrong"})
        response = await client.post("/api/login", json={"username": "someone-else", "password": RIGHT})
        assert response.status_code == 429


async def test_throttling_can_be_switched_off(provider: CountingProvider) -> None:
    config = make_config(NEKO_MEMBER_PROVIDER="multiuser", NEKO_SESSION_LOGIN_THROTTLE_ENABLED="false")
    async with api_client(config) as client:
        for _ in range(20):
            response = await client.post("/api/login", json={"username": "v", "password": "wrong"})
            assert response.status_code == 401
        assert provider.checks == 20
