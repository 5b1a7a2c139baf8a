"""The login throttle: free attempts, doubling delays, a cap, bounded memory."""

from __future__ import annotations

import pytest

from nekoapi.config import ThrottleConfig
from nekoapi.errors import LoginThrottled
from nekoapi.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, **config: object) -> LoginThrottle:
    settings = {"free_attempts": 2, "base_delay": 1.0, "max_delay": 8.0, "max_tracked": 100, **config}
    return LoginThrottle(ThrottleConfig(**settings), clock)  # type: ignore[arg-type]


def retry_after(t: LoginThrottle, address: str | None, username: str) -> int:
    with pytest.raises(LoginThrottled) as refused:
        t.check(address, username)
    return refused.value.retry_after


def test_free_attempts_then_doubling_delays_up_to_the_cap() -> None:
    clock = Clock()
    t = throttle(clock)
    waits = []
    for attempt in range(8):
        t.check("10.0.0.1", "bob")
        t.failed("10.0.0.1", "bob")
        if attempt >= 2:  # the first two failures are free
            waits.append(retry_after(t, "10.0.0.1", "bob"))
            clock.now += waits[-1]
    assert waits == [1, 2, 4, 8, 8, 8]


def test_the_username_is_throttled_from_any_address() -> None:
    clock = Clock()
    t = throttle(clock, free_attempts=0)
    t.failed("10.0.0.1", "bob")
    assert retry_after(t, "10.0.0.2", "bob") == 1
    t.check("10.0.0.2", "alice")


def test_the_address_is_throttled_for_any_username() -> None:
    clock = Clock()
    t = throttle(clock, free_attempts=0)
    t.failed("10.0.0.1", "bob")
    assert retry_after(t, "10.0.0.1", "carol") == 1


def test_success_resets_the_username() -> None:
    clock = Clock()
    t = throttle(clock, free_attempts=1)
    t.failed(None, "bob")
    t.succeeded(None, "bob")
    t.failed(None, "bob")
    t.check(None, "bob")


def test_memory_is_bounded_whatever_the_usernames() -> None:
    t = throttle(Clock(), max_tracked=50)
    for n in range(10_000):
        t.failed("10.0.0.1", f"random-{n}")
    assert len(t.usernames) == 50 and len(t.addresses) == 1


def test_disabled_throttle_never_refuses() -> None:
    t = throttle(Clock(), enabled=False, free_attempts=0)
    for _ in range(10):
        t.failed("10.0.0.1", "bob")
    t.check("10.0.0.1", "bob")
