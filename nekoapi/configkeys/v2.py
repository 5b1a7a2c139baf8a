"""Neko v2's configuration names: the converters the keys' ``Legacy`` entries use, and the v2 names
nekoapi has no key for (``UNMAPPED``, held by the ``legacy`` switch itself).

Followed: Neko's ``server/internal/config/*.go`` (``InitV2``/``SetV2``), its file transfer plugin's
``config.go`` and ``webpage/docs/migration-from-v2``. A v2 name, set, wins over the v3 key(s) it
maps to (``SetV2`` runs after ``Set``), except that v3 video pipelines are kept; each name in use is
warned about once at start-up, naming what to use instead; a value nekoapi cannot honour stops
start-up with the reason; and with ``legacy: false`` Neko reads no v2 name, so they are ignored
(with a warning here).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .declare import NOTHING, SKIP, Invalid, Legacy, env_name
from .values import json_list, text

SWITCH = "legacy"
SWITCH_DOC = (
    "Neko's legacy (v2) layer: its WebSocket (/ws), its HTTP paths (/stats, /screenshot.jpg, /file) and"
    " its configuration names (docs/migrating.md); false ignores them all"
)
FALSE = frozenset({"", "0", "false", "no", "off", "f", "n"})  # what Go's ParseBool and an unset value give

Convert = Callable[[Any, Any], Any]


# --- converters ---


def when_true(value: str) -> Convert:
    """v2's codec switches: ``NEKO_VP8=true`` means the codec ``vp8``; false leaves it alone."""

    def convert(raw: Any, so_far: Any) -> Any:
        return value if _true(raw) else SKIP

    return convert


def listed(item: str, known: Iterable[str]) -> Convert:
    """``NEKO_LOCKS``: true when ``item`` is in the comma-separated list; else the key is left alone
    (v2 only ever locks)."""
    choices = tuple(known)

    def convert(raw: Any, so_far: Any) -> Any:
        items = _items(raw)
        unknown = [i for i in items if i not in choices]
        if unknown:
            raise Invalid(f"expected a list of {', '.join(choices)}", got=unknown[0])
        return True if item in items else SKIP

    return convert


def unless_empty(raw: Any, so_far: Any) -> Any:
    """Neko reads these only when not empty (``NEKO_DISPLAY``, ``NEKO_DEVICE``, ``NEKO_ICESERVER``)."""
    return SKIP if text(raw).strip() == "" else raw


def or_default(default: str) -> Convert:
    """v2's passwords: empty means Neko's default password."""

    def convert(raw: Any, so_far: Any) -> Any:
        return text(raw) or default

    return convert


def bind(raw: Any, so_far: Any) -> Any:
    """Go listens on every interface for ``:8080``, v2 images' usual bind."""
    value = text(raw).strip()
    return "0.0.0.0" + value if value.startswith(":") else value


def path_prefix(raw: Any, so_far: Any) -> Any:
    """Neko's ``path.Join("/", path.Clean(prefix))``."""
    return posixpath.normpath("/" + text(raw).strip()).replace("//", "/")


def clean_path(raw: Any, so_far: Any) -> Any:
    """Neko's ``filepath.Clean`` of the file transfer path."""
    return posixpath.normpath(text(raw)) if text(raw) else raw


def port_range(raw: Any, so_far: Any) -> Any:
    """v2's ``NEKO_EPR``: a reversed range is turned round, as Neko does."""
    low, sep, high = text(raw).partition("-")
    if sep and low.strip().isdigit() and high.strip().isdigit() and int(low) > int(high):
        return f"{high.strip()}-{low.strip()}"
    return raw


def ice_servers(raw: Any, so_far: Any) -> Any:
    """v2's ``NEKO_ICESERVERS``: a JSON list, empty for none (it sets both of v3's lists)."""
    return "[]" if isinstance(raw, str) and not raw.strip() else raw


def ice_server(raw: Any, so_far: Any) -> Any:
    """v2's ``NEKO_ICESERVER``: a list of URLs of one server, added to ``NEKO_ICESERVERS``' list."""
    urls = _items(raw)
    if not urls:
        return SKIP
    earlier = [] if so_far is NOTHING else json_list(so_far)
    return [*earlier, {"urls": urls}]


V2_LOG_DIR = "/var/log/neko"  # Neko's folder on Linux for NEKO_LOGS=true


def log_dir(raw: Any, so_far: Any) -> Any:
    """v2's ``NEKO_LOGS``: true logs to Neko's folder, false to no folder (it wins over ``log.dir``)."""
    return V2_LOG_DIR if _true(raw) else ""


def nonzero(raw: Any, so_far: Any) -> Any:
    """v2's numbers where 0 means unset (``NEKO_AUDIO_BITRATE``)."""
    return SKIP if _zero(raw) else raw


def main_rung(field: str) -> Convert:
    """v2's ``NEKO_VIDEO_BITRATE`` and ``NEKO_MAX_FPS`` (0: unset): one ``main`` rung with that bitrate
    (kbit/s) or frame rate; both make one rung."""

    def convert(raw: Any, so_far: Any) -> Any:
        try:
            value = int(text(raw).strip() or 0)
        except ValueError:
            raise Invalid("expected a whole number", got=raw) from None
        if value == 0:
            return SKIP
        rung = {} if so_far is NOTHING else dict(so_far["main"])
        return {"main": {**rung, field: value}}

    return convert


def unsupported(reason: str, *, harmless: Callable[[Any], bool] = lambda raw: text(raw).strip() == "") -> Convert:
    """A v2 setting nekoapi cannot honour: refused with ``reason`` unless its value changes nothing."""

    def convert(raw: Any, so_far: Any) -> Any:
        if harmless(raw):
            return SKIP
        raise Invalid(reason)

    return convert


def _true(raw: Any) -> bool:
    if isinstance(raw, bool | int):  # a YAML file's true or 1
        return bool(raw)
    return isinstance(raw, str) and raw.strip().lower() not in FALSE


def _items(raw: Any) -> list[str]:
    """Go's StringSlice: a YAML list, or comma-separated text."""
    found = raw if isinstance(raw, list) else text(raw).split(",")
    return [str(item).strip() for item in found if str(item).strip()]


def _zero(raw: Any) -> bool:
    return text(raw).strip() in ("", "0")


def _no_hardware(raw: Any) -> bool:
    return text(raw).strip().lower() in ("", "none")


# --- the v2 names nekoapi has no key for ---

_PIPELINE = "a GStreamer pipeline; nekoapi encodes without GStreamer"
UNMAPPED: tuple[Legacy, ...] = (
    Legacy(
        "hwenc",
        convert=unsupported("nekoapi has no hardware encoder; remove it (none: software)", harmless=_no_hardware),
        note="`none` only: nekoapi encodes in software",
    ),
    Legacy(
        "video",
        convert=unsupported(f"{_PIPELINE}; set NEKO_CAPTURE_VIDEO_PIPELINES (docs/room.md)"),
        note="empty only: a GStreamer pipeline; use `capture.video.pipelines`",
    ),
    Legacy(
        "audio",
        convert=unsupported(f"{_PIPELINE}; set NEKO_CAPTURE_AUDIO_CODEC and NEKO_CAPTURE_AUDIO_BITRATE"),
        note="empty only: a GStreamer pipeline; use `capture.audio.codec` and `capture.audio.bitrate`",
    ),
    Legacy(
        "broadcast_pipeline",
        convert=unsupported(f"{_PIPELINE}; set NEKO_CAPTURE_BROADCAST_PRESET and the bitrates"),
        note="empty only: a GStreamer pipeline; use `capture.broadcast.*`",
    ),
)


# --- reading and warning ---


def given(legacy: Legacy, environ: Mapping[str, str], document: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(the name as written, the raw value) of a v2 name that is set: the environment, then the file."""
    if legacy.env in environ:
        return legacy.env, environ[legacy.env]
    if legacy.name in document:
        return legacy.name, document[legacy.name]
    return None


def warnings(
    declared: Iterable[Any], environ: Mapping[str, str], document: Mapping[str, Any], *, on: bool
) -> list[str]:
    """One line per v2 name in use (never its value): what to use instead, or that it is ignored."""
    targets: dict[str, list[str]] = {}
    for k in declared:
        for legacy in k.spec.legacy:
            found = given(legacy, environ, document)
            if found is not None:
                targets.setdefault(found[0], [])
                if k.dotted != SWITCH:
                    implied = "".join(f" with {env_name(d)}={v}" for d, v in legacy.implies.items())
                    targets[found[0]].append(k.env + implied)
    lines = []
    for name, keys in targets.items():
        if not on:
            lines.append(f"{name} is a Neko v2 name, ignored because legacy is off (NEKO_LEGACY=false)")
        elif keys:
            lines.append(f"{name} is deprecated (a Neko v2 name): use {' and '.join(dict.fromkeys(keys))} instead")
        else:
            lines.append(f"{name} is deprecated (a Neko v2 name) and sets nothing in nekoapi; remove it")
    return lines
