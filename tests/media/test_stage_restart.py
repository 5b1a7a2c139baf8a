"""A media stage whose producer fails is started again with a growing pause, and says so while it fails."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from nekoapi.media import fanout
from nekoapi.media.fanout import Fanout
from tests.support.patience import REPLY


class Flaky(Fanout):
    """Fails ``failures`` times, then produces one item and waits for ``stop``."""

    def __init__(self, failures: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__("flaky", loop)
        self.failures = failures
        self.starts: list[float] = []

    def produce(self, stop: threading.Event, emit: Callable[[Any], None]) -> None:
        self.starts.append(time.monotonic())
        if len(self.starts) <= self.failures:
            raise OSError("BadMatch")
        emit("frame")
        stop.wait()


async def _until(condition: Callable[[], bool], timeout: float = REPLY) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_a_failing_producer_is_restarted_with_back_off_until_it_produces() -> None:
    stage = Flaky(4, asyncio.get_running_loop())
    received: list[str] = []
    stage.add(received.append)
    try:
        await _until(lambda: received == ["frame"])
        pauses = [b - a for a, b in itertools.pairwise(stage.starts)]
        assert len(pauses) == 4 and all(later > earlier for earlier, later in itertools.pairwise(pauses))
        assert pauses[0] >= fanout.RESTART_MIN
        assert stage.failure is None and stage.failing(0) is None  # producing again: healthy
    finally:
        stage.remove(received.append)


async def test_failing_names_the_problem_only_after_the_grace_and_only_while_watched() -> None:
    stage = Flaky(1000, asyncio.get_running_loop())
    listener: Callable[[Any], None] = lambda item: None  # noqa: E731
    stage.add(listener)
    try:
        await _until(lambda: stage.failure is not None)
        assert stage.failing(60) is None  # a short failure is no outage
        assert stage.failing(0) == "OSError: BadMatch"
    finally:
        stage.remove(listener)
    assert stage.failing(0) is None  # nobody watches: nothing runs, nothing fails
