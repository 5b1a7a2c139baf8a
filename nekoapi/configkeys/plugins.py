"""``chat.*``, ``filetransfer.*``, ``openinapp.*``: Neko's plugins (``internal/config/plugins.go`` and
the plugins' own configs)."""

from __future__ import annotations

from dataclasses import dataclass

from . import v2
from .declare import Legacy, key
from .values import positive


@dataclass(frozen=True)
class ChatConfig:
    enabled: bool = key(True, "chat plugin: chat/message between sessions and POST /api/chat/")


@dataclass(frozen=True)
class FileTransferConfig:
    enabled: bool = key(
        False,
        "file transfer plugin: list, download, upload and delete files of `filetransfer.dir`",
        legacy=(Legacy("file_transfer_enabled"),),
    )
    dir: str = key(
        "/home/neko/Downloads",
        "file transfer: the shared directory (created if missing)",
        legacy=(Legacy("file_transfer_path", convert=v2.clean_path, note="cleaned"),),
    )
    # The fallback when the directory cannot be watched.
    refresh_interval: float = key(30.0, "file transfer: seconds between rescans of the directory (besides inotify)")
    user_download: bool = key(False, "file transfer: non-administrators may download")
    user_upload: bool = key(False, "file transfer: non-administrators may upload")
    user_delete: bool = key(False, "file transfer: non-administrators may delete")
    max_upload_size: int = key(
        100 * 1024 * 1024, "file transfer: most bytes of files in one upload (ours)", check=positive
    )
    max_upload_files: int = key(20, "file transfer: most files in one upload request (ours)", check=positive)


@dataclass(frozen=True)
class OpenInAppConfig:
    enabled: bool = key(False, "open-in-app plugin: POST /api/openinapp/openlink opens links on the desktop")
    open_command: str = key("xdg-open", "open-in-app: command run as `<command> <url>` on the desktop's display")
