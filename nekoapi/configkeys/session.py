"""``session.*``: room settings at start, the API token, sockets, cookies, the login throttle
(Neko's ``internal/config/session.go``; most bounds are ours)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import v2
from .declare import Legacy, key, section
from .values import positive, within

MIN_API_TOKEN_LENGTH = 32
# v2's locks, a list; Neko does nothing with file_transfer (nor do we), and we refuse other words.
_LOCKS = ("control", "login", "file_transfer")
_LOCKS_NOTE = "a list: `control` locks controls, `login` logins; `file_transfer` is accepted and ignored, as in Neko"


def _api_token(value: str) -> str | None:
    # A short fixed token is guessable, and it is an administrator's.
    if value and len(value) < MIN_API_TOKEN_LENGTH:
        return f"must be at least {MIN_API_TOKEN_LENGTH} characters"
    return None


def _file_without_redis(config: Any) -> str | None:
    if config.session.file and config.session.store == "redis":
        return "not used with session.store redis (Redis keeps the sessions)"
    return None


@dataclass(frozen=True)
class CookieConfig:
    enabled: bool = key(False, "login sets the token in a cookie instead of the body")
    name: str = key("NEKO_SESSION", "cookie name")
    expiration: float = key(24 * 3600.0, "cookie lifetime")
    secure: bool = key(True, "cookie only over HTTPS")
    http_only: bool = key(True, "cookie hidden from scripts")
    domain: str = key("", "cookie domain")
    path: str = key("/", "cookie path")


@dataclass(frozen=True)
class ThrottleConfig:
    """Back-off for failed logins, per client address and per username."""

    enabled: bool = key(True, "throttle failed logins per client address and per username (ours)")
    free_attempts: int = key(5, "failed logins allowed before the back-off starts (ours)")
    base_delay: float = key(1.0, "wait after the first throttled failure; doubles with each more (ours)")
    max_delay: float = key(300.0, "longest wait between login attempts (ours)")
    max_tracked: int = key(10_000, "addresses and usernames the throttle remembers, each (ours)")


@dataclass(frozen=True)
class SessionConfig:
    private_mode: bool = key(False, "room setting: private mode")
    locked_logins: bool = key(
        False,
        "only administrators may log in",
        legacy=(Legacy("locks", convert=v2.listed("login", _LOCKS), note=_LOCKS_NOTE),),
    )
    locked_controls: bool = key(
        False,
        "only administrators may take control",
        legacy=(Legacy("locks", convert=v2.listed("control", _LOCKS), note=_LOCKS_NOTE),),
    )
    control_protection: bool = key(
        False, "lock controls while no administrator is connected", legacy=(Legacy("control_protection"),)
    )
    implicit_hosting: bool = key(False, "room setting: implicit hosting", legacy=(Legacy("implicit_control"),))
    inactive_cursors: bool = key(False, "room setting: show inactive cursors")
    merciful_reconnect: bool = key(True, "a second socket replaces the first instead of being refused")
    # The spec's bound on the room setting, so the settings the server sends back always conform.
    heartbeat_interval: int = key(
        10,
        "seconds between system/heartbeat events and protocol pings (1-86400)",
        check=within(1, 86400, "seconds"),
        legacy=(Legacy("heartbeat_interval"),),
    )
    api_token: str = key(
        "",
        "fixed token (32+ chars) acting as the built-in administrator session `API`, with Neko's profile for it"
        " (empty: off)",
        check=_api_token,
        secret=True,
    )
    file: str = key(
        "",
        "SQLite file that keeps sessions across restarts (empty: memory only)",
        cross_check=_file_without_redis,
    )
    store: Literal["memory", "redis"] = key(
        "memory",
        "where sessions, host, settings and stats live: `memory` or `redis` (shared by workers; ours)",
    )
    links_file: str = key(
        "data/links.db", "SQLite file of the share links (made on first use); unused with the redis store (ours)"
    )
    # Neko hard-codes 5 s.
    reconnect_grace: float = key(5.0, "how long an abnormally dropped socket keeps its session connected (ours)")
    send_queue_size: int = key(1024, "events queued for one socket before it is closed as too slow (ours)")
    # Bytes too: a few large events (a big room's system/init) are as costly as many small ones.
    send_queue_bytes: int = key(
        4 * 1024 * 1024, "bytes queued for one socket before it is closed as too slow (ours)", check=positive
    )
    # A day, as the session cookie lasts; Neko keeps such sessions for ever (0 here).
    disconnected_expiry: float = key(
        24 * 3600.0,
        "a session without a WebSocket this long, since login or its last socket, is removed; 0: never (ours)",
    )
    ws_max_message_size: int = key(64 * 1024, "largest WebSocket message a client may send, in bytes (ours)")
    ws_message_rate: int = key(50, "WebSocket messages a client may send per second, bursts of twice that (ours)")
    cookie: CookieConfig = section(CookieConfig)
    login_throttle: ThrottleConfig = section(ThrottleConfig)
