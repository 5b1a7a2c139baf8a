"""Login brute-force protection: exponential back-off per client address and per username.

A throttled attempt is refused before the member provider checks the password,
so a flood of guesses costs no password-hashing work. Memory is bounded: each
table keeps the most recently failing keys only, so random usernames cannot
grow it without limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .config import ThrottleConfig
from .errors import LoginThrottled


@dataclass
class _Failures:
    count: int
    blocked_until: float


class _Table:
    def __init__(self, config: ThrottleConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        entry = self._entries.get(key)
        return max(0.0, entry.blocked_until - self._clock()) if entry else 0.0

    def failed(self, key: str) -> None:
        entry = self._entries.pop(key, None) or _Failures(0, 0.0)
        entry.count += 1
        over = entry.count - self._config.free_attempts
        if over > 0:
            delay = min(self._config.max_delay, self._config.base_delay * 2 ** min(over - 1, 32))
            entry.blocked_until = self._clock() + delay
        self._entries[key] = entry
        while len(self._entries) > self._config.max_tracked:
            self._entries.popitem(last=False)

    def reset(self, key: str) -> None:
        self._entries.pop(key, None)

    def refund(self, key: str) -> None:
        """Take back one counted failure (the attempt did not fail after all)."""
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.count -= 1
        if entry.count <= 0:
            del self._entries[key]
        elif entry.count <= self._config.free_attempts:
            entry.blocked_until = 0.0  # the wait came from attempts that turned out fine

    def __len__(self) -> int:
        return len(self._entries)


class LoginThrottle:
    def __init__(self, config: ThrottleConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = config.enabled
        self.addresses = _Table(config, clock)
        self.usernames = _Table(config, clock)

    def check(self, address: str | None, username: str) -> None:
        """Raise ``LoginThrottled`` while either the address or the username is backing off."""
        if not self.enabled:
            return
        wait = max(self.usernames.wait(username), self.addresses.wait(address) if address else 0.0)
        if wait > 0:
            raise LoginThrottled(retry_after=math.ceil(wait))

    def begin(self, address: str | None, username: str) -> None:
        """Let an attempt through unless throttled, counting it as failed until it is known
        to be none (``succeeded``, ``refund``): concurrent guesses count before any has failed."""
        self.check(address, username)
        self.failed(address, username)

    def failed(self, address: str | None, username: str) -> None:
        if not self.enabled:
            return
        self.usernames.failed(username)
        if address:
            self.addresses.failed(address)

    def refund(self, address: str | None, username: str) -> None:
        if not self.enabled:
            return
        self.usernames.refund(username)
        if address:
            self.addresses.refund(address)

    def succeeded(self, address: str | None, username: str) -> None:
        """The username's failures are forgiven; the address keeps those of other attempts."""
        if not self.enabled:
            return
        self.usernames.reset(username)
        if address:
            self.addresses.refund(address)
