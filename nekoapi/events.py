"""Typed domain events and the synchronous bus that delivers them.

Subscribers must not block: the WebSocket broadcaster only enqueues, metrics
only count. A failing subscriber is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .models import MemberProfile, Settings

if TYPE_CHECKING:
    from .sessions.session import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionCreated:
    session: Session


@dataclass(frozen=True)
class SessionDeleted:
    session: Session


@dataclass(frozen=True)
class SessionConnected:
    """A socket is the session's now. Unless it ``replaced`` another (the session stayed connected),
    a ``StateChanged`` with ``connect`` set follows."""

    session: Session
    replaced: bool = False


@dataclass(frozen=True)
class SessionDisconnected:
    session: Session


@dataclass(frozen=True)
class ProfileChanged:
    session: Session
    old: MemberProfile
    new: MemberProfile


@dataclass(frozen=True)
class StateChanged:
    """``connect``: the change is a connect, whose ``session/state`` the connect's greeting sends
    in Neko's order (``ws/greeter.py``), before the parts' own greetings."""

    session: Session
    connect: bool = False


@dataclass(frozen=True)
class HostChanged:
    host_id: str | None
    changed_by: str


@dataclass(frozen=True)
class SettingsChanged:
    settings: Settings
    changed_by: str


@dataclass(frozen=True)
class ControlRequested:
    """Someone asked for control while ``host_id`` holds it; only the host is told."""

    host_id: str
    requested_by: str


@dataclass(frozen=True)
class Delivered:
    """A message for sockets, sent by another worker (relays and plugins).

    ``to`` names the recipients; None means every connected session but ``exclude``.
    """

    event: str
    payload: Any
    to: tuple[str, ...] | None
    exclude: str | None = None


# --- operability: what metrics and logs observe ---


@dataclass(frozen=True)
class LoginAttempted:
    outcome: str  # "success", or the refusal in snake_case ("invalid_credentials", ...)


@dataclass(frozen=True)
class SocketMessage:
    direction: str  # "in" (client -> server) or "out"
    count: int = 1  # messages sent out are counted in bulk, once per event-loop turn


@dataclass(frozen=True)
class SocketClosed:
    session_id: str | None
    reason: str


E = TypeVar("E")
Subscriber = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[type, list[Subscriber]] = defaultdict(list)
        # Subscribers that also want events another worker caused (scale-out).
        self._remote: dict[type, list[Subscriber]] = defaultdict(list)

    def subscribe(self, event_type: type[E], callback: Callable[[E], None], *, remote: bool = False) -> None:
        """``remote=True``: also called for events relayed from other workers (only the
        WebSocket broadcaster wants those; reactions such as control protection run
        once, on the worker where the change happened)."""
        self._subscribers[event_type].append(callback)
        if remote:
            self._remote[event_type].append(callback)

    def publish(self, event: object) -> None:
        self._deliver(event, self._subscribers)

    def publish_remote(self, event: object) -> None:
        """An event that happened on another worker; its state is already in this worker's replica."""
        self._deliver(event, self._remote)

    @staticmethod
    def _deliver(event: object, subscribers: dict[type, list[Subscriber]]) -> None:
        for callback in subscribers.get(type(event), ()):
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber failed on %s", type(event).__name__)


# --- desktop ---


@dataclass(frozen=True)
class ScreenChanged:
    """The X screen switched to ``width`` x ``height`` @ ``rate``; pipelines that grab it rebuild."""

    width: int
    height: int
    rate: int
    changed_by: str  # the session that asked ("" when nekoapi itself re-applied the size)
