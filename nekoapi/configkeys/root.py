"""``log.*`` and ``redis.*``: the sections of the tree's root that are no concern of their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from . import v2
from .declare import Legacy, key

LogLevel = Literal["debug", "info", "warning", "error"]
# Neko's unix, unixms and unixmicro; iso (ours, the default) keeps the date and time.
LogTime = Literal["iso", "unix", "unixms", "unixmicro"]


@dataclass(frozen=True)
class LogConfig:
    json: bool = key(False, "one JSON object per log line instead of plain text")
    level: LogLevel = key("info", "debug, info, warning or error", flag="--log-level")
    time: LogTime = key(
        "iso", "the lines' time: iso (date and time, ours), or Neko's unix, unixms, unixmicro (seconds, ms, us)"
    )
    nocolor: bool = key(False, "no ANSI colours in plain lines (ours: colours only on a terminal)")
    dir: str = key(
        "",
        "write the log to neko-latest.log in this folder instead of standard error (the previous one is"
        " renamed neko.<time>.log)",
        legacy=(Legacy("logs", convert=v2.log_dir, note=f"`true`: `{v2.V2_LOG_DIR}`; `false`: no log folder"),),
    )


@dataclass(frozen=True)
class RedisConfig:
    # redis://:password@host carries a password.
    url: str = key("redis://127.0.0.1:6379/0", "Redis server of `session.store: redis` (ours)", secret=True)
    # Every key and the event channel start with this, so several rooms can share one Redis.
    prefix: str = key("neko", "prefix of every Redis key and of the event channel (ours)")
