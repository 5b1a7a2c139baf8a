"""Logging set-up, with a filter that keeps tokens out of every line.

Credentials can reach log lines from places we do not control (a server's
access log prints the query string, where ``?token=`` may sit), so the
filter sits on the handler and sees every record.
"""

from __future__ import annotations

import logging
import re

_SECRETS = re.compile(
    r"(?P<key>(?:token|password)=)[^&\s\"']+"
    r"|(?P<scheme>Bearer\s+)[^\s\"']+"
    r"|(?P<cookie>NEKO_SESSION=)[^;\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    return _SECRETS.sub(lambda m: (m.group("key") or m.group("scheme") or m.group("cookie")) + "***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
