"""Typed configuration, read once from ``NEKO_*`` environment variables and an optional YAML file.

The tree mirrors Neko's key layout: ``session.cookie.enabled`` is read from
``NEKO_SESSION_COOKIE_ENABLED`` or from ``session: {cookie: {enabled: ...}}``
in the file named by ``NEKO_CONFIG`` (or ``nekoapi serve --config``); the
environment wins over the file. Nothing else in the project reads the
environment.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "NEKO_"
# Names the file to read; it is not a key of the tree itself.
CONFIG_FILE_ENV = "NEKO_CONFIG"


class ConfigError(ValueError):
    """A configuration value is unknown or invalid; the message names the key."""


@dataclass(frozen=True)
class ServerConfig:
    bind: str = "127.0.0.1:8080"
    proxy: bool = False
    cors: tuple[str, ...] = ()
    metrics: bool = True
    path_prefix: str = "/"
    # Requests whose headers or URL are larger are refused (431, 414) before any parsing.
    max_header_size: int = 16 * 1024
    max_url_length: int = 8 * 1024
    # Most sub-requests one POST /api/batch may carry (not a Neko key).
    batch_limit: int = 100
    # nekoapi extension (not a Neko key): request bodies larger than this many
    # bytes are refused with 413 before anything reads them.
    max_body_size: int = 1024 * 1024
    # nekoapi extensions (not Neko keys): a request's line and headers must arrive within
    # header_timeout of the connection opening (or of the request's first byte), and its
    # body within body_timeout of the headers; otherwise the connection is closed.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # nekoapi extension: the same for multipart/form-data bodies (file uploads).
    max_upload_size: int = 256 * 1024 * 1024

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
class ThrottleConfig:
    """Back-off for failed logins, per client address and per username."""

    enabled: bool = True
    free_attempts: int = 5  # failures allowed without any wait
    base_delay: float = 1.0  # seconds after the first throttled failure; doubles with each more
    max_delay: float = 300.0
    max_tracked: int = 10_000  # addresses and usernames remembered (each), most recent first


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
    # Where the shared session state lives: "memory" (this process) or "redis" (shared by workers).
    store: str = "memory"
    # How long an abnormally closed WebSocket keeps its session connected,
    # waiting for a reconnect (Neko hard-codes 5 s).
    reconnect_grace: float = 5.0
    # Events queued for one socket before it counts as too slow and is closed.
    send_queue_size: int = 1024
    # ... and bytes: a few large events (a big room's system/init) are as costly as many small ones.
    send_queue_bytes: int = 4 * 1024 * 1024
    # A session without a WebSocket for this long (since login, or since its last socket
    # closed) is removed; 0 keeps it for ever, as Neko does. A day, as the session cookie lasts.
    disconnected_expiry: float = 24 * 3600.0
    # Largest WebSocket message a client may send, in bytes, and how many per second.
    ws_max_message_size: int = 64 * 1024
    ws_message_rate: int = 50
    cookie: CookieConfig = field(default_factory=CookieConfig)
    login_throttle: ThrottleConfig = field(default_factory=ThrottleConfig)


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
class LogConfig:
    json: bool = False  # one JSON object per line instead of plain text
    level: str = "info"


@dataclass(frozen=True)
class RedisConfig:
    url: str = "redis://127.0.0.1:6379/0"
    # Every key and the event channel start with this, so several rooms can share one Redis.
    prefix: str = "neko"


# --- media (issue 14): capture.video / capture.audio / capture.microphone and webrtc ---


@dataclass(frozen=True)
class VideoCaptureConfig:
    display: str = ""  # "" -> the desktop's display
    codec: str = "vp8"  # vp8 or h264
    ids: tuple[str, ...] = ()  # the ladder, best first; () -> the keys of pipelines, or ("main",)
    # id -> {"width", "height", "fps", "bitrate", "min_bitrate", "max_bitrate"} (docs/room.md)
    pipelines: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioCaptureConfig:
    enabled: bool = True
    device: str = "audio_output.monitor"  # the PulseAudio source captured for the room
    bitrate: int = 128  # kbit/s of the Opus stream


@dataclass(frozen=True)
class MicrophoneConfig:
    enabled: bool = True
    device: str = "audio_input"  # the PulseAudio sink a client's microphone plays into


@dataclass(frozen=True)
class PulseConfig:
    server: str = ""  # "" -> nekoapi starts its own PulseAudio with a null sink when media starts


# --- capture: broadcast and screencast (issue 13) ---
@dataclass(frozen=True)
class BroadcastConfig:
    """The RTMP push of the screen (Neko's ``capture.broadcast``)."""

    url: str = ""
    autostart: bool = True  # with a url set, broadcasting starts with the server
    audio_bitrate: int = 128  # kbit/s, AAC
    video_bitrate: int = 4096  # kbit/s, H.264
    preset: str = "veryfast"  # x264 speed preset
    fps: int = 25  # frames per second grabbed and sent (ours)


@dataclass(frozen=True)
class ScreencastConfig:
    """JPEG frames of the screen served at /api/room/screen/cast.jpg (Neko's ``capture.screencast``)."""

    enabled: bool = False
    rate: str = "10/1"  # frames per second, as Neko writes it: "10/1", "5/2" or "10"
    quality: int = 60  # JPEG quality 1-100

    @property
    def fps(self) -> float:
        return parse_rate(self.rate) or 10.0


_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+)\s*)?")


def parse_rate(text: str) -> float | None:
    """``"10/1"`` -> 10.0; None for text that is no positive rate (at most 60 per second)."""
    match = _RATE.fullmatch(text)
    if match is None or match.group(2) == "0":
        return None
    rate = float(match.group(1)) / int(match.group(2) or 1)
    return rate if 0 < rate <= 60 else None


@dataclass(frozen=True)
class CaptureConfig:
    video: VideoCaptureConfig = field(default_factory=VideoCaptureConfig)
    audio: AudioCaptureConfig = field(default_factory=AudioCaptureConfig)
    microphone: MicrophoneConfig = field(default_factory=MicrophoneConfig)
    pulse: PulseConfig = field(default_factory=PulseConfig)
    broadcast: BroadcastConfig = field(default_factory=BroadcastConfig)
    screencast: ScreencastConfig = field(default_factory=ScreencastConfig)


@dataclass(frozen=True)
class IceServersConfig:
    frontend: str = "[]"  # JSON [{urls, username?, credential?}] sent to clients
    backend: str = "[]"  # JSON, used by the server itself


@dataclass(frozen=True)
class WebRTCConfig:
    icelite: bool = False
    icetrickle: bool = True
    iceservers: IceServersConfig = field(default_factory=IceServersConfig)
    nat1to1: tuple[str, ...] = ()
    epr: str = ""  # UDP port range "min-max" for ICE host candidates; "" -> any port


# --- plugins (issue 15): Neko's chat, filetransfer and openinapp keys ---


@dataclass(frozen=True)
class ChatConfig:
    enabled: bool = True


@dataclass(frozen=True)
class FileTransferConfig:
    enabled: bool = False
    dir: str = "/home/neko/Downloads"
    refresh_interval: float = 30.0  # seconds; the fallback when the directory cannot be watched
    user_download: bool = False
    user_upload: bool = False
    user_delete: bool = False
    # nekoapi extensions (not Neko keys): what one upload request may carry.
    max_upload_size: int = 100 * 1024 * 1024
    max_upload_files: int = 20


@dataclass(frozen=True)
class OpenInAppConfig:
    enabled: bool = False
    open_command: str = "xdg-open"


# --- desktop (issue 13, desktop-core) ---


@dataclass(frozen=True)
class DesktopConfig:
    # nekoapi: false runs a room without a desktop (its operations answer 503).
    enabled: bool = True
    # Neko's: the X display to drive; empty means $DISPLAY, and with neither nekoapi starts its own.
    display: str = ""
    screen: str = "1280x720@30"
    # nekoapi: the X server started when there is no display: auto (Xorg-dummy, else Xvfb), xorg, xvfb.
    xserver: str = "auto"
    # nekoapi: the application shown in the room (a command line); empty shows none.
    app: str = "/usr/bin/chromium"
    # nekoapi: the browser profile directory.
    profile: str = "data/browser"
    # --- desktop-io: Neko's upload keys ---
    # uploadDrop: files dropped onto the desktop through XDND.
    upload_drop: bool = True
    # uploadDialog: the GTK file chooser is taken over and filled with uploads.
    file_chooser_dialog: bool = False


# --- end desktop ---


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    member: MemberConfig = field(default_factory=MemberConfig)
    log: LogConfig = field(default_factory=LogConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    capture: CaptureConfig = field(default_factory=CaptureConfig)
    webrtc: WebRTCConfig = field(default_factory=WebRTCConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    filetransfer: FileTransferConfig = field(default_factory=FileTransferConfig)
    openinapp: OpenInAppConfig = field(default_factory=OpenInAppConfig)
    desktop: DesktopConfig = field(default_factory=DesktopConfig)


def load_config(environ: Mapping[str, str], file: str | None = None) -> Config:
    """Build the configuration: defaults, then the YAML file, then ``NEKO_*`` variables.

    The file is ``file`` or else the one ``NEKO_CONFIG`` names. Unknown names
    in either place are errors: a typo must not silently leave a default in force.
    """
    path = file or environ.get(CONFIG_FILE_ENV, "")
    file_values = _flatten(read_file(path), Config, "") if path else {}
    known: set[str] = set()
    config = _load_section(Config, ENV_PREFIX, environ, known, file_values)
    unknown = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known and k != CONFIG_FILE_ENV)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown configuration key")
    return _with_x_display(config, environ)


def _with_x_display(config: Config, environ: Mapping[str, str]) -> Config:
    """Neko's rule: an empty ``desktop.display`` means ``$DISPLAY``."""
    if config.desktop.display or not environ.get("DISPLAY"):
        return config
    return dataclasses.replace(config, desktop=dataclasses.replace(config.desktop, display=environ["DISPLAY"]))


MIN_API_TOKEN_LENGTH = 32


def env_names() -> list[str]:
    """Every environment variable the configuration reads, for help texts."""
    known: set[str] = set()
    _load_section(Config, ENV_PREFIX, {}, known)
    return sorted(known)


@dataclass(frozen=True)
class Key:
    """One configuration key, as an operator sees it."""

    dotted: str  # the file form: session.cookie.enabled
    env: str  # the environment form: NEKO_SESSION_COOKIE_ENABLED
    default: Any


def keys(cls: type = Config, path: str = "") -> list[Key]:
    """Every key of the tree with its default, in declaration order."""
    hints = typing.get_type_hints(cls)
    defaults = cls()
    found: list[Key] = []
    for f in dataclasses.fields(cls):
        dotted = path + f.name
        section = hints[f.name]
        if isinstance(section, type) and dataclasses.is_dataclass(section):
            found.extend(keys(section, dotted + "."))
        else:
            found.append(Key(dotted, ENV_PREFIX + dotted.replace(".", "_").upper(), getattr(defaults, f.name)))
    return found


def show_default(value: Any) -> str:
    """A default as an operator would type it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    if isinstance(value, float) and value.is_integer():
        seconds = int(value)
        return f"{seconds // 3600}h" if seconds and seconds % 3600 == 0 else f"{seconds}s"
    return str(value)


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


def _flatten(data: Mapping[str, Any], cls: type, path: str) -> dict[str, Any]:
    """File values by dotted key, following the tree so that object-valued keys stay whole."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    flat: dict[str, Any] = {}
    for name, value in data.items():
        dotted = f"{path}{name}"
        if name not in fields:
            raise ConfigError(f"{dotted}: unknown configuration key")
        if dataclasses.is_dataclass(hints[name]):
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted}: expected a section of keys")
            flat.update(_flatten(value, hints[name], dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _load_section(
    cls: type,
    prefix: str,
    environ: Mapping[str, str],
    known: set[str],
    file_values: Mapping[str, Any] | None = None,
    path: str = "",
) -> Any:
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = prefix + f.name.upper()
        dotted = path + f.name
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            values[f.name] = _load_section(kind, name + "_", environ, known, file_values, dotted + ".")
            continue
        known.add(name)
        if name in environ:
            values[f.name] = _checked(dotted, name, _parse(name, kind, environ[name]))
        elif file_values and dotted in file_values:
            values[f.name] = _checked(dotted, dotted, _from_file(dotted, kind, file_values[dotted]))
    return cls(**values)


def _check_bind(value: str) -> str | None:
    host, _, port = value.rpartition(":")
    return None if host and port.isdigit() and 0 < int(port) < 65536 else "expected host:port"


def _check_prefix(value: str) -> str | None:
    return None if value.startswith("/") else "expected a path starting with /"


def _check_level(value: str) -> str | None:
    return None if value.lower() in {"debug", "info", "warning", "error"} else "expected debug, info, warning or error"


def _check_api_token(value: str) -> str | None:
    # A short fixed token is guessable, and it is an administrator's.
    return (
        None
        if not value or len(value) >= MIN_API_TOKEN_LENGTH
        else f"must be at least {MIN_API_TOKEN_LENGTH} characters"
    )


def _check_store(value: str) -> str | None:
    return None if value in {"memory", "redis"} else "expected memory or redis"


def _check_xserver(value: str) -> str | None:
    return None if value in {"auto", "xorg", "xvfb"} else "expected auto, xorg or xvfb"


def _check_positive(value: int) -> str | None:
    return None if value > 0 else "expected a number above 0"


def _check_heartbeat(value: int) -> str | None:
    # The spec's bound on the room setting, so the settings the server sends back always conform.
    return None if 1 <= value <= 86400 else "expected seconds from 1 to 86400"


def _check_rate(value: str) -> str | None:
    return None if parse_rate(value) else "expected frames per second like 10/1 (above 0, at most 60)"


def _check_quality(value: int) -> str | None:
    return None if 1 <= value <= 100 else "expected a JPEG quality from 1 to 100"


def _check_fps(value: int) -> str | None:
    return None if 1 <= value <= 60 else "expected frames per second from 1 to 60"


def _check_rtmp_url(value: str) -> str | None:
    return None if not value or value.startswith(RTMP_SCHEMES) else "expected an rtmp:// or rtmps:// URL"


RTMP_SCHEMES = ("rtmp://", "rtmps://")
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


def _check_preset(value: str) -> str | None:
    return None if value in X264_PRESETS else "expected an x264 preset: " + ", ".join(X264_PRESETS)


# Values that parse but cannot work; checked here so start-up fails with the key's name.
_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "server.bind": _check_bind,
    "server.path_prefix": _check_prefix,
    "server.batch_limit": _check_positive,
    "session.send_queue_bytes": _check_positive,
    "session.heartbeat_interval": _check_heartbeat,
    "server.header_timeout": _check_positive,
    "server.body_timeout": _check_positive,
    "server.max_upload_size": _check_positive,
    "log.level": _check_level,
    "session.api_token": _check_api_token,
    "session.store": _check_store,
    "capture.broadcast.url": _check_rtmp_url,
    "capture.broadcast.audio_bitrate": _check_positive,
    "capture.broadcast.video_bitrate": _check_positive,
    "capture.broadcast.fps": _check_fps,
    "capture.broadcast.preset": _check_preset,
    "capture.screencast.rate": _check_rate,
    "capture.screencast.quality": _check_quality,
    "filetransfer.max_upload_size": _check_positive,
    "filetransfer.max_upload_files": _check_positive,
    "desktop.xserver": _check_xserver,
}
# Never echoed in an error message.
# redis.url may carry a password (redis://:secret@host); an RTMP URL usually carries a stream key.
_SECRET_KEYS = frozenset(
    {
        "capture.broadcast.url",
        "redis.url",
        "session.api_token",
        "member.multiuser.admin_password",
        "member.multiuser.user_password",
    }
)


def _checked(dotted: str, name: str, value: Any) -> Any:
    check = _CHECKS.get(dotted)
    problem = check(value) if check else None
    if problem:
        raise ConfigError(f"{name}: {problem}" + ("" if dotted in _SECRET_KEYS else f", got {value!r}"))
    return value


def _from_file(dotted: str, kind: Any, value: Any) -> Any:
    """A YAML value: native types are taken as they are, text goes through the env parser."""
    if isinstance(value, str):
        return _parse(dotted, kind, value)
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a numeric password or token written without quotes
    origin = typing.get_origin(kind)
    if origin is tuple and isinstance(value, list) and all(isinstance(i, str) for i in value):
        return tuple(value)
    if origin is dict and isinstance(value, dict):
        return value
    raise ConfigError(f"{dotted}: expected {_expected(kind)}, got {value!r}")


def _expected(kind: Any) -> str:
    origin = typing.get_origin(kind)
    names = {bool: "true or false", int: "a whole number", float: "seconds or a duration like 24h", str: "text"}
    if origin is tuple:
        return "a list of strings"
    if origin is dict:
        return "a mapping"
    return names.get(kind, str(kind))


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


def from_environment(file: str | None = None) -> Config:
    """The configuration of this process (the one place that reads ``os.environ``)."""
    import os

    return load_config(os.environ, file)
