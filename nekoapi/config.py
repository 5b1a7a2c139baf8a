"""Typed configuration, read once from a YAML file, ``NEKO_*`` environment variables and flags.

The tree mirrors Neko's key layout: ``session.cookie.enabled`` is read from
``NEKO_SESSION_COOKIE_ENABLED`` or from ``session: {cookie: {enabled: ...}}`` in the file named by
``NEKO_CONFIG`` (or ``nekoapi serve --config``). Each key is declared once, in its concern's module
under ``nekoapi/configkeys/`` (``declare.key``); this module reads them and is the one place that
reports a value that cannot work (``ConfigError``, naming the key as the operator wrote it).

Sources, each winning over the ones before: the defaults, the file, the environment, a key's
Neko v2 names (``Legacy``: file, then environment; Neko lets them win over v3 names), and the
``nekoapi serve`` flags. Nothing else in the project reads the environment.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .configkeys import v2, values
from .configkeys.capture import (
    RTMP_SCHEMES,
    AudioCaptureConfig,
    BroadcastConfig,
    CaptureConfig,
    MicrophoneConfig,
    PulseConfig,
    RecordingConfig,
    ScreencastConfig,
    VideoCaptureConfig,
)
from .configkeys.declare import NOTHING, SKIP, Invalid, Legacy, Spec, env_name, key, section, spec_of
from .configkeys.desktop import DesktopConfig, ScreenSize
from .configkeys.ladder import Ladder, Rung
from .configkeys.member import (
    FileMemberConfig,
    MemberConfig,
    MultiuserConfig,
    ObjectMemberConfig,
    ObjectUser,
    PostgresMemberConfig,
    SqliteMemberConfig,
)
from .configkeys.plugins import ChatConfig, FileTransferConfig, OpenInAppConfig
from .configkeys.root import LogConfig, RedisConfig
from .configkeys.server import ServerConfig
from .configkeys.session import MIN_API_TOKEN_LENGTH, CookieConfig, SessionConfig, ThrottleConfig
from .configkeys.webrtc import EstimatorConfig, IceServer, IceServersConfig, PortRange, TurnConfig, WebRTCConfig

__all__ = [
    "MIN_API_TOKEN_LENGTH",
    "RTMP_SCHEMES",
    "AudioCaptureConfig",
    "BroadcastConfig",
    "CaptureConfig",
    "ChatConfig",
    "Config",
    "ConfigError",
    "CookieConfig",
    "DesktopConfig",
    "EstimatorConfig",
    "FileMemberConfig",
    "FileTransferConfig",
    "IceServer",
    "IceServersConfig",
    "Key",
    "Ladder",
    "LogConfig",
    "MemberConfig",
    "MicrophoneConfig",
    "MultiuserConfig",
    "ObjectMemberConfig",
    "ObjectUser",
    "OpenInAppConfig",
    "PortRange",
    "PostgresMemberConfig",
    "PulseConfig",
    "RecordingConfig",
    "RedisConfig",
    "Rung",
    "ScreenSize",
    "ScreencastConfig",
    "ServerConfig",
    "SessionConfig",
    "SqliteMemberConfig",
    "ThrottleConfig",
    "TurnConfig",
    "VideoCaptureConfig",
    "WebRTCConfig",
    "env_names",
    "from_environment",
    "keys",
    "load_config",
]

log = logging.getLogger(__name__)

ENV_PREFIX = "NEKO_"
# Names the file to read; it is not a key of the tree itself.
CONFIG_FILE_ENV = "NEKO_CONFIG"


class ConfigError(ValueError):
    """A configuration value is unknown or invalid; the message names the key."""


@dataclass(frozen=True)
class Config:
    legacy: bool = key(True, v2.SWITCH_DOC, legacy=v2.UNMAPPED)
    debug: bool = key(False, "log at debug level whatever `log.level` says (Neko's debug mode)")
    server: ServerConfig = section(ServerConfig)
    session: SessionConfig = section(SessionConfig)
    member: MemberConfig = section(MemberConfig)
    log: LogConfig = section(LogConfig)
    redis: RedisConfig = section(RedisConfig)
    capture: CaptureConfig = section(CaptureConfig)
    webrtc: WebRTCConfig = section(WebRTCConfig)
    chat: ChatConfig = section(ChatConfig)
    filetransfer: FileTransferConfig = section(FileTransferConfig)
    openinapp: OpenInAppConfig = section(OpenInAppConfig)
    desktop: DesktopConfig = section(DesktopConfig)


@dataclass(frozen=True)
class Key:
    """One declared key, as an operator sees it."""

    dotted: str  # the file form: session.cookie.enabled
    kind: Any  # the declared type
    default: Any
    spec: Spec

    @property
    def env(self) -> str:
        """The environment form: NEKO_SESSION_COOKIE_ENABLED."""
        return env_name(self.dotted)

    @property
    def doc(self) -> str:
        return self.spec.doc


def keys(tree: type = Config) -> list[Key]:
    """Every key of the tree with its default, in declaration order."""
    return list(_keys(tree))


@functools.cache
def _keys(tree: type, path: str = "") -> tuple[Key, ...]:
    defaults = tree()
    found: list[Key] = []
    for name, (kind, spec) in _layout(tree).items():
        dotted = path + name
        if spec is None:
            found.extend(_keys(kind, dotted + "."))
        else:
            found.append(Key(dotted, kind, getattr(defaults, name), spec))
    return tuple(found)


def env_names(tree: type = Config) -> list[str]:
    """Every environment variable the configuration reads (its v3 names), for help texts."""
    return sorted(k.env for k in keys(tree))


def load_config(
    environ: Mapping[str, str], file: str | None = None, flags: Mapping[str, str] | None = None, *, tree: type = Config
) -> Any:
    """Build the configuration: defaults, the YAML file, ``NEKO_*`` variables, v2 names, then ``flags``.

    The file is ``file`` or else the one ``NEKO_CONFIG`` names; ``flags`` maps dotted keys to the
    text of their ``nekoapi serve`` option. Unknown names in the file or the environment are
    errors: a typo must not silently leave a default in force.
    """
    declared = keys(tree)
    path = file or environ.get(CONFIG_FILE_ENV, "")
    document = _flatten(read_file(path), tree, _legacy_names(declared)) if path else {}
    flags = flags or {}
    v2_on = _v2_on(declared, environ, document, flags)
    chosen, written = _choose(declared, environ, document, flags, v2_on)
    _refuse_unknown(environ, declared)
    if v2_on:
        _refuse_legacy(environ, document, declared)
    for line in v2.warnings(declared, environ, document, on=v2_on):
        log.warning("%s", line)
    config = _build(tree, chosen)
    for k in declared:
        problem = k.spec.cross_check(config) if k.spec.cross_check else None
        if problem:
            raise ConfigError(f"{written.get(k.dotted, k.env)}: {problem}")
    return config


def from_environment(file: str | None = None, flags: Mapping[str, str] | None = None) -> Config:
    """The configuration of this process (the one place that reads ``os.environ``)."""
    import os

    return load_config(os.environ, file, flags)


def read_file(path: str) -> dict[str, Any]:
    """The YAML configuration file; an empty file is an empty configuration."""
    import yaml

    try:
        with open(path, encoding="utf-8") as stream:
            data = yaml.safe_load(stream)
    except OSError as exc:
        raise ConfigError(f"{CONFIG_FILE_ENV}: cannot read {path} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        where = " ".join(str(exc).split())  # PyYAML's message spans lines; ours is one
        raise ConfigError(f"{CONFIG_FILE_ENV}: {path} is not valid YAML ({where})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_FILE_ENV}: {path} must hold a mapping of sections")
    return data


# --- reading ---


def _v2_on(
    declared: list[Key], environ: Mapping[str, str], document: Mapping[str, Any], flags: Mapping[str, str]
) -> bool:
    """Whether Neko v2's names are read (the ``legacy`` key, on unless set false; trees without it: on)."""
    switch = next((k for k in declared if k.dotted == v2.SWITCH), None)
    given = _given(switch, environ, document, flags, v2_on=False) if switch else None
    return True if given is None else bool(_parsed(switch, given[1], given[0]))  # type: ignore[arg-type]


def _choose(
    declared: list[Key],
    environ: Mapping[str, str],
    document: Mapping[str, Any],
    flags: Mapping[str, str],
    v2_on: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The parsed value of every key that is set (dotted -> value), and the name each was given under."""
    chosen: dict[str, Any] = {}
    written: dict[str, str] = {}
    implied: list[tuple[Legacy, str]] = []  # v2 names in use that set other keys too
    for k in declared:
        given = _given(k, environ, document, flags, v2_on)
        if given is not None:
            written[k.dotted], raw, legacy = given
            chosen[k.dotted] = _parsed(k, raw, written[k.dotted])
            if legacy is not None and legacy.implies:
                implied.append((legacy, written[k.dotted]))
        fallback = k.spec.fallback_env
        if fallback and not chosen.get(k.dotted, k.default) and environ.get(fallback):
            written[k.dotted] = fallback
            chosen[k.dotted] = _parsed(k, environ[fallback], fallback)
    by_name = {k.dotted: k for k in declared}
    for legacy, name in implied:
        for dotted, text in legacy.implies.items():
            if dotted not in flags:  # as the v2 name itself, it loses only to an option
                written[dotted], chosen[dotted] = name, _parsed(by_name[dotted], text, name)
    return chosen, written


def _given(
    k: Key, environ: Mapping[str, str], document: Mapping[str, Any], flags: Mapping[str, str], v2_on: bool
) -> Any:
    """(the name the value was given under, the raw value, the v2 name used or None) from the source that
    wins, or None: an option, then the key's v2 names (unless they yield to a v3 name that is set), then
    its v3 names."""
    if flags.get(k.dotted) is not None:
        return k.spec.flag, flags[k.dotted], None
    own = _v3_given(k, environ, document)
    old = _v2_given(k, environ, document) if v2_on else None
    if old is not None and not (old[2].yields and own is not None):
        return old
    return (*own, None) if own is not None else None


def _v3_given(k: Key, environ: Mapping[str, str], document: Mapping[str, Any]) -> tuple[str, Any] | None:
    if k.env in environ:
        return k.env, environ[k.env]
    if k.dotted in document:
        return k.dotted, document[k.dotted]
    return None


def _v2_given(k: Key, environ: Mapping[str, str], document: Mapping[str, Any]) -> tuple[str, Any, Legacy] | None:
    """What the key's v2 names give, in their declared order, a later one adding to (or overriding) the
    earlier; None when none is set or every one set leaves the key alone."""
    found: tuple[str, Any, Legacy] | None = None
    so_far: Any = NOTHING
    for legacy in k.spec.legacy:
        given = None if legacy.refused else v2.given(legacy, environ, document)
        if given is None:
            continue
        name, raw = given
        if legacy.convert is not None:
            try:
                raw = legacy.convert(raw, so_far)
            except Invalid as exc:
                raise ConfigError(_message(name, exc, k.spec.secret)) from None
            if raw is SKIP:
                continue
        so_far, found = raw, (name, raw, legacy)
    return found


def _parsed(k: Key, raw: Any, written: str) -> Any:
    try:
        value = k.spec.parse(raw) if k.spec.parse else values.by_type(k.kind, raw)
        problem = k.spec.check(value) if k.spec.check else None
        if problem:
            raise Invalid(problem, got=value)
    except Invalid as exc:
        raise ConfigError(_message(written, exc, k.spec.secret)) from None
    return value


def _message(written: str, exc: Invalid, secret: bool) -> str:
    """``<name>[.<place>]: <problem>[, got <value>]``; a secret's value is never shown."""
    name = written
    if exc.at:
        name = f"{written}.{exc.at}" if written[:1].islower() else f"{written}: {exc.at}"
    shown = "" if secret or exc.got is NOTHING else f", got {exc.got!r}"
    return f"{name}: {exc.problem}{shown}"


def _refuse_unknown(environ: Mapping[str, str], declared: list[Key]) -> None:
    known = {k.env for k in declared} | {legacy.env for legacy in _legacies(declared)} | {CONFIG_FILE_ENV}
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX) and name not in known)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown configuration key")


def _refuse_legacy(environ: Mapping[str, str], document: Mapping[str, Any], declared: list[Key]) -> None:
    for legacy in _legacies(declared):
        if legacy.refused:
            for name in (legacy.env, legacy.name):
                if name in environ or name in document:
                    raise ConfigError(f"{name}: {legacy.refused}")


def _legacies(declared: list[Key]) -> list[Legacy]:
    return [legacy for k in declared for legacy in k.spec.legacy]


def _legacy_names(declared: list[Key]) -> frozenset[str]:
    return frozenset(legacy.name for legacy in _legacies(declared))


def _flatten(data: Mapping[str, Any], cls: type, legacy: frozenset[str], path: str = "") -> dict[str, Any]:
    """File values by dotted key, following the tree so that object-valued keys stay whole."""
    layout = _layout(cls)
    flat: dict[str, Any] = {}
    for name, value in data.items():
        dotted = f"{path}{name}"
        if dotted in legacy:
            flat[dotted] = value
        elif name not in layout:
            raise ConfigError(f"{dotted}: unknown configuration key")
        elif layout[name][1] is None:
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted}: expected a section of keys")
            flat.update(_flatten(value, layout[name][0], legacy, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _build(cls: type, chosen: Mapping[str, Any], path: str = "") -> Any:
    fields: dict[str, Any] = {}
    for name, (kind, spec) in _layout(cls).items():
        dotted = path + name
        if spec is None:
            fields[name] = _build(kind, chosen, dotted + ".")
        elif dotted in chosen:
            fields[name] = chosen[dotted]
    return cls(**fields)


@functools.cache
def _layout(cls: type) -> dict[str, tuple[Any, Spec | None]]:
    """A section's fields: name -> (type, the key's declaration), or (section type, None) for a section."""
    hints = typing.get_type_hints(cls)
    layout: dict[str, tuple[Any, Spec | None]] = {}
    for f in dataclasses.fields(cls):
        kind, spec = hints[f.name], spec_of(f)
        if spec is None and not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            raise TypeError(f"{cls.__name__}.{f.name}: declare it with configkeys.declare.key()")
        layout[f.name] = (kind, spec)
    return layout
