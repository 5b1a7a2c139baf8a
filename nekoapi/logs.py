"""Logging set-up: plain or JSON lines, the session id in context, and no token in any line.

Credentials can reach log lines from places we do not control (a server's
access log prints the query string, where ``?token=`` may sit), so the
redaction filter sits on the handler and sees every record.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from .accesslog import ACCESS_LOGGER, AccessLines, LineWriter, Stamps, WriterHandler, coloured
from .config import Config
from .logfile import open_log_file

_SECRETS = re.compile(
    r"(?P<key>(?:token|password|pwd)=)[^&\s\"']+"  # pwd: Neko v2's password parameter
    r"|(?P<scheme>Bearer\s+)[^\s\"']+"
    r"|(?P<cookie>NEKO_SESSION=)[^;\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with credentials masked; the patterns all need a "=" or a blank to match."""
    return _SECRETS.sub(lambda m: (m.group("key") or m.group("scheme") or m.group("cookie")) + "***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# ---
# context: which session a log line is about
# ---


@dataclass
class LogContext:
    """Mutable on purpose: the security layer fills in the session deep inside the request."""

    session_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


_context: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar("nekoapi_log_context", default=None)


@contextlib.contextmanager
def request_context() -> Iterator[LogContext]:
    """The context of one request or socket; nested ones (batch sub-requests) restore the outer."""
    context = LogContext()
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def bind_session(session_id: str) -> None:
    context = _context.get()
    if context is not None:
        context.session_id = session_id


def current_session() -> str | None:
    context = _context.get()
    return context.session_id if context is not None else None


class AddContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.session_id = context.session_id if context is not None else None
        return True


# ---
# formats
# ---


class PlainFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger>: <message>``; the level coloured when ``colour`` (a terminal)."""

    def __init__(self, time_format: str = "iso", *, colour: bool = False) -> None:
        super().__init__()
        self.stamps = Stamps(time_format)
        self.colour = colour

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return str(self.stamps.of(record.created))

    def usesTime(self) -> bool:
        return True

    def formatMessage(self, record: logging.LogRecord) -> str:
        level = coloured(record.levelname, self.colour)
        line = f"{record.asctime} {level} {record.name}: {record.message}"
        session_id = getattr(record, "session_id", None)
        return f"{line} session={session_id}" if session_id else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def __init__(self, time_format: str = "iso") -> None:
        super().__init__()
        self.stamps = Stamps(time_format, json=True)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.stamps.of(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        session_id = getattr(record, "session_id", None)
        if session_id:
            entry["session_id"] = session_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


def make_handler(
    *,
    json: bool = False,
    stream: Any = None,
    writer: LineWriter | None = None,
    time_format: str = "iso",
    colour: bool = False,
) -> logging.Handler:
    """Writes to ``stream`` as each record comes, or through ``writer``'s thread in batches."""
    handler = logging.StreamHandler(stream) if writer is None else WriterHandler(writer)
    handler.setFormatter(JsonFormatter(time_format) if json else PlainFormatter(time_format, colour=colour))
    handler.addFilter(AddContext())
    handler.addFilter(RedactSecrets())
    return handler


_ROOT = logging.getLogger()
_ACCESS = logging.getLogger(ACCESS_LOGGER)
_writer: LineWriter | None = None
_served: tuple[logging.Handler, AccessLines] | None = None


def configure(
    level: str, *, json: bool = False, stream: Any = None, time_format: str = "iso", colour: bool = False
) -> None:
    """The server's logging: every line through one batching writer thread (nekoapi/accesslog.py)."""
    global _writer, _served
    if _writer is None or stream is not None:
        _writer = LineWriter(stream or sys.stderr)
    handler = make_handler(json=json, writer=_writer, time_format=time_format, colour=colour)
    _served = (handler, AccessLines(_writer, json=json, time_format=time_format, colour=colour))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Connexion logs every 401 at info ("No auth provided"), which the access line says already,
    # at the cost of a whole logging call; its warnings and errors still show.
    logging.getLogger("connexion").setLevel(logging.DEBUG if level.lower() == "debug" else logging.WARNING)


def level_of(config: Config) -> str:
    """``log.level``, or debug in Neko's debug mode (``debug``)."""
    return "debug" if config.debug else config.log.level


def configure_from(config: Config, *, rotate: bool = True) -> None:
    """Logging as the configuration asks: to ``log.dir``'s file (``rotate``: the previous one is kept under
    its time; worker processes append to their parent's) or standard error, coloured only on a terminal."""
    settings = config.log
    stream = open_log_file(settings.dir, rotate=rotate) if settings.dir else sys.stderr
    colour = not settings.json and not settings.nocolor and _is_terminal(stream)
    configure(level_of(config), json=settings.json, stream=stream, time_format=settings.time, colour=colour)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def access_lines() -> AccessLines | None:
    """The cheap access-line path, while the server's own handler is the only one that would see them."""
    if _served is None:
        return None
    handler, lines = _served
    handlers = _ROOT.handlers
    if len(handlers) != 1 or handlers[0] is not handler or _ACCESS.handlers:
        return None  # someone else listens too (a test, an embedding application): use logging
    return lines
