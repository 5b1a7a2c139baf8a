"""``system/logs``: clients' own log lines, written to ours at their level.

Each session may write ``RATE`` lines a second (bursts of twice that); the rest
are dropped, with one warning each time a session starts being dropped. Lines
pass through the same redaction as every other log line, and fields whose name
suggests a secret are masked before that.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..logs import redact
from ..sessions.session import Session
from ..types import EventHandler, RoomPart
from .limits import MessageRate
from .payloads import SystemLog, SystemLogs

log = logging.getLogger("nekoapi.client")

SYSTEM_LOGS = "system/logs"
RATE = 5
MAX_TEXT = 1000  # characters of one line kept, fields included
MAX_TRACKED = 10_000  # sessions whose budget is remembered (the least recent are forgotten)
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "panic": logging.CRITICAL,
}
_SECRET_WORDS = ("password", "token", "secret", "cookie", "authorization", "credential")


class ClientLogs(RoomPart):
    def __init__(self, rate: int = RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._clock = clock
        # session id -> (its budget, whether its lines are being dropped now)
        self._budgets: OrderedDict[str, tuple[MessageRate, bool]] = OrderedDict()

    def events(self) -> dict[str, EventHandler]:
        return {SYSTEM_LOGS: self.handle}

    async def handle(self, session: Session, payload: SystemLogs) -> None:
        """Neko's payload: a list of ``{level, message, fields}``."""
        for entry in payload:
            if self._admit(session.id):
                _write(session.id, entry)

    def _admit(self, session_id: str) -> bool:
        budget, dropping = self._budgets.pop(session_id, None) or (MessageRate(self._rate, self._clock), False)
        allowed = budget.allow()
        if not allowed and not dropping:
            log.warning("session %s sends client logs too fast; dropping them for now", session_id)
        self._budgets[session_id] = (budget, not allowed)
        if len(self._budgets) > MAX_TRACKED:
            self._budgets.popitem(last=False)
        return allowed


def _write(session_id: str, entry: SystemLog) -> None:
    level = LEVELS.get(entry.level.lower(), logging.INFO)
    text = entry.message
    if entry.fields:
        text += " " + " ".join(f"{k}={_field(k, v)}" for k, v in entry.fields.items())
    # One line per entry: a client must not forge lines of ours with newlines.
    line = redact(text[:MAX_TEXT]).replace("\r", "\\r").replace("\n", "\\n")
    log.log(level, "client %s: %s", session_id, line)


def _field(name: Any, value: Any) -> str:
    if any(word in str(name).lower() for word in _SECRET_WORDS):
        return "***"
    return str(value)
