"""The WebSocket contract, checked on every event a test's client receives.

``EventClient`` (tests/support/live.py) runs ``violation`` on each message the server
sends, so every suite that opens a socket is a contract test: an event that
``spec/openapi.yaml`` does not declare as a server event, or whose payload breaks its
schema (formats included), fails the test that received it. Clients that are not ours
(Chromium running the page) are covered on the server's side: while a ``live_server``
runs, every frame the server builds is checked too, and tests/conftest.py fails the test
during which one broke the contract. The validators are compiled once per process
(``nekoapi.ws.declared``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from nekoapi.ws import protocol
from nekoapi.ws.declared import declaration

# What the servers of this process sent against the contract, for tests/conftest.py to report.
server_violations: list[str] = []
_lock = threading.Lock()
_users = 0
_originals: dict[str, Callable[..., Any]] = {}


def violation(message: Any) -> str | None:
    """What about a server message the declaration does not allow, or None."""
    if not isinstance(message, dict) or set(message) != {"event", "payload"} or not isinstance(message["event"], str):
        return f"not an {{event, payload}} object: {str(message)[:200]}"
    event = message["event"]
    declared = declaration().server.get(event)
    if declared is None:
        return f"{event!r} is not declared as a server event in spec/openapi.yaml x-websocket"
    problem = declared.problem(message["payload"], formats=True)
    return None if problem is None else f"{event} breaks its schema {declared.schema_name}: {problem}"


def check(message: Any) -> None:
    problem = violation(message)
    if problem is not None:
        raise AssertionError(f"the server sent what its contract does not declare: {problem}")


@contextlib.contextmanager
def checking_server_frames() -> Iterator[None]:
    """Every frame ``protocol`` builds meanwhile is checked; nested uses share one wrapper."""
    global _users
    with _lock:
        if _users == 0:
            for name in ("frame", "parted_frame"):
                _originals[name] = getattr(protocol, name)
                setattr(protocol, name, _checked(_originals[name]))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for name, original in _originals.items():
                    setattr(protocol, name, original)


def _checked(build: Callable[..., Any]) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        frame = build(*args, **kwargs)
        data = b"".join(frame) if isinstance(frame, tuple) else frame
        problem = violation(orjson.loads(protocol.frame_text(data)))
        if problem is not None:
            server_violations.append(problem)
        return frame

    return checked
