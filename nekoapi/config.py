"""Typed configuration, read once from ``NEKO_*`` environment variables.

The tree mirrors Neko's key layout: ``session.cookie.enabled`` is read from
``NEKO_SESSION_COOKIE_ENABLED``. Nothing else in the project reads the
environment.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "NEKO_"


class ConfigError(ValueError):
    """A configuration value is unknown or invalid; the message names the key."""


@dataclass(frozen=True)
class ServerConfig:
    bind: str = "127.0.0.1:8080"
    proxy: bool = False
    cors: tuple[str, ...] = ()
    metrics: bool = True
    path_prefix: str = "/"

    @property
    def host(self) -> str:
        return self.bind.rpartition(":")[0] or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.bind.rpartition(":")[2])


@dataclass(frozen=True)
class CookieConfig:
    enabled: bool = False
    name: str = "NEKO_SESSION"
    expiration: float = 24 * 3600.0  # seconds; accepts Go-style durations ("24h")
    secure: bool = True
    http_only: bool = True
    domain: str = ""
    path: str = "/"


@dataclass(frozen=True)
class SessionConfig:
    private_mode: bool = False
    locked_logins: bool = False
    locked_controls: bool = False
    control_protection: bool = False
    implicit_hosting: bool = False
    inactive_cursors: bool = False
    merciful_reconnect: bool = True
    heartbeat_interval: int = 10
    api_token: str = ""
    file: str = ""
    # How long an abnormally closed WebSocket keeps its session connected,
    # waiting for a reconnect (Neko hard-codes 5 s).
    reconnect_grace: float = 5.0
    # Events queued for one socket before it counts as too slow and is closed.
    send_queue_size: int = 1024
    cookie: CookieConfig = field(default_factory=CookieConfig)


@dataclass(frozen=True)
class MultiuserConfig:
    admin_password: str = "admin"
    user_password: str = "neko"
    admin_profile: dict[str, Any] = field(default_factory=dict)
    user_profile: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SqliteMemberConfig:
    path: str = "data/nekoapi.db"
    # Password of the ``admin`` member created on first start; empty = random, printed once.
    admin_password: str = ""


@dataclass(frozen=True)
class PostgresMemberConfig:
    url: str = ""
    admin_password: str = ""
    # Lets several servers (or test runs) share one database without sharing members.
    table: str = "neko_members"


@dataclass(frozen=True)
class FileMemberConfig:
    path: str = ""
    hash: bool = True


@dataclass(frozen=True)
class ObjectMemberConfig:
    users: str = ""  # JSON list of {"username", "password", "profile"}


@dataclass(frozen=True)
class MemberConfig:
    provider: str = "sqlite"
    multiuser: MultiuserConfig = field(default_factory=MultiuserConfig)
    sqlite: SqliteMemberConfig = field(default_factory=SqliteMemberConfig)
    postgres: PostgresMemberConfig = field(default_factory=PostgresMemberConfig)
    file: FileMemberConfig = field(default_factory=FileMemberConfig)
    object: ObjectMemberConfig = field(default_factory=ObjectMemberConfig)
    # argon2id cost of new password hashes (RFC 9106 "low memory" defaults); stored
    # hashes carry their own parameters, so lowering these never breaks a login.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    member: MemberConfig = field(default_factory=MemberConfig)


def load_config(environ: Mapping[str, str]) -> Config:
    """Build the configuration from ``environ``; unknown ``NEKO_*`` names are errors."""
    known: set[str] = set()
    config = _load_section(Config, ENV_PREFIX, environ, known)
    unknown = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown configuration key")
    return config


def env_names() -> list[str]:
    """Every environment variable the configuration reads, for help texts."""
    known: set[str] = set()
    _load_section(Config, ENV_PREFIX, {}, known)
    return sorted(known)


def _load_section(cls: type, prefix: str, environ: Mapping[str, str], known: set[str]) -> Any:
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = prefix + f.name.upper()
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            values[f.name] = _load_section(kind, name + "_", environ, known)
            continue
        known.add(name)
        if name in environ:
            values[f.name] = _parse(name, kind, environ[name])
    return cls(**values)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _parse(name: str, kind: Any, raw: str) -> Any:
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if kind is float:
        return _parse_duration(name, text)
    if kind is str:
        return raw
    origin = typing.get_origin(kind)
    if origin is tuple:
        return _parse_list(name, text)
    if origin is dict:
        return _parse_object(name, text)
    raise ConfigError(f"{name}: unsupported type {kind!r}")  # pragma: no cover


def _parse_duration(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConfigError(f"{name}: expected seconds or a duration like 24h, got {text!r}")
    return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def _parse_list(name: str, text: str) -> tuple[str, ...]:
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{name}: invalid JSON list ({exc.msg})") from None
        if not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{name}: expected a list of strings")
        return tuple(items)
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _parse_object(name: str, text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: invalid JSON object ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a JSON object")
    return value


def from_environment() -> Config:
    """The configuration of this process (the one place that reads ``os.environ``)."""
    import os

    return load_config(os.environ)
