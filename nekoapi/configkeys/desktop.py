"""``desktop.*``: the X display, its screen size, the X server we start, the app, uploads
(Neko's ``internal/config/desktop.go``; ``enabled``, ``xserver``, ``app`` and ``profile`` are ours)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Literal

from . import v2
from .declare import Legacy, key
from .values import json_object, positive, text


@dataclass(frozen=True)
class ScreenSize:
    width: int
    height: int
    rate: int

    def to_dict(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height, "rate": self.rate}

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{self.rate}"


SCREEN_PATTERN = re.compile(r"([0-9]{1,4})x([0-9]{1,4})@([0-9]{1,3})")  # Neko's, unanchored
DEFAULT_SCREEN = ScreenSize(1280, 720, 30)


def parse_screen(raw: Any) -> ScreenSize:
    """Neko's rule: the first ``WxH@R`` in the text; anything else is the default size."""
    match = SCREEN_PATTERN.search(text(raw))
    if match is None:
        return DEFAULT_SCREEN
    return ScreenSize(*(int(g) for g in match.groups()))


_POLICY_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")


def _policies(value: dict[str, Any]) -> str | None:
    bad = [name for name in value if not _POLICY_NAME.fullmatch(name)]
    if bad:
        return f"{bad[0]!r} is not a Chromium policy name (like HomepageLocation)"
    if value and os.geteuid() != 0:
        # Chromium reads policies only from /etc/chromium/policies; nekoapi shows the browser a copy
        # of its own there, in a mount namespace of the browser's, which takes root.
        return "giving Chromium policies needs nekoapi to run as root (a private mount namespace)"
    return None


def _extensions(value: tuple[str, ...]) -> str | None:
    for folder in value:
        manifest = os.path.join(folder, "manifest.json")
        if not os.path.isdir(folder):
            return f"{folder} is not a folder"
        try:
            with open(manifest, "rb") as stream:
                parsed = json.load(stream)
        except OSError:
            return f"{folder} has no readable manifest.json (an unpacked extension has one)"
        except ValueError:
            return f"{manifest} is not valid JSON"
        if not isinstance(parsed, dict) or "manifest_version" not in parsed:
            return f"{manifest} has no manifest_version"
    return None


@dataclass(frozen=True)
class DesktopConfig:
    enabled: bool = key(True, "false: a room without a desktop, whose operations answer 503 (ours)")
    display: str = key(
        "",
        "X display to drive; empty means `$DISPLAY`; with neither, nekoapi starts its own X server",
        fallback_env="DISPLAY",
        legacy=(Legacy("display", convert=v2.unless_empty, note="when not empty"),),
    )
    screen: ScreenSize = key(
        DEFAULT_SCREEN,
        "screen size applied at start, `WxH@R`; not matching means the default",
        parse=parse_screen,
        legacy=(Legacy("screen"),),
    )
    xserver: Literal["auto", "xorg", "xvfb"] = key(
        "auto", "X server started without a display: `auto` (Xorg-dummy, else Xvfb), `xorg`, `xvfb` (ours)"
    )
    app: str = key("/usr/bin/chromium", "application shown in the room, a command line; empty shows none (ours)")
    profile: str = key("data/browser", "the browser's profile directory (ours)")
    upload_drop: bool = key(True, "uploadDrop: drop uploaded files onto the desktop at x,y (XDND)")
    file_chooser_dialog: bool = key(
        False, "uploadDialog: take over the browser's file chooser and fill it with uploads"
    )
    # What the browser nekoapi starts is given (automation, docs/automation.md).
    browser_policies: dict[str, Any] = key(
        {},
        "JSON: Chromium managed policies of the browser nekoapi starts (needs root; ours)",
        parse=json_object,
        check=_policies,
    )
    browser_extensions: tuple[str, ...] = key(
        (), "folders of unpacked extensions the browser loads at start (list; ours)", check=_extensions
    )
    profile_max_size: int = key(
        1024 * 1024 * 1024, "most bytes a browser profile archive may unpack to on import (ours)", check=positive
    )
