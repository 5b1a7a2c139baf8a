"""Operations that take uploads (``multipart/form-data``): how they are parsed and how big they may be.

The fast path (fastpath.py) skips Connexion's multipart parsing, which every other
operation would pay for; operations that consume multipart get Connexion's own
parameter decorator back, so their handlers receive the uploaded parts (Starlette's
``UploadFile``, spooled to disk past 1 MiB).

An upload operation names the configuration key of its body limit in the spec
(``x-nekoapi-body-limit: filetransfer.max_upload_size``); that limit replaces
``server.max_body_size`` for its path, still checked before the body is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import Config

MULTIPART = "multipart/form-data"
BODY_LIMIT_KEY = "x-nekoapi-body-limit"


def takes_files(operation: Any) -> bool:
    """Whether a Connexion operation's request body can be ``multipart/form-data``."""
    return any(media.split(";")[0].strip() == MULTIPART for media in getattr(operation, "consumes", ()) or ())


def body_limits(spec: Mapping[str, Any], config: Config) -> dict[str, int]:
    """Request path (under ``server.path_prefix``) -> largest body, for operations that declare one."""
    prefix = config.server.path_prefix.rstrip("/")
    limits: dict[str, int] = {}
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            if isinstance(operation, dict) and BODY_LIMIT_KEY in operation:
                limit = _config_value(config, operation[BODY_LIMIT_KEY])
                limits[prefix + path] = max(limit, limits.get(prefix + path, 0))
    return limits


def _config_value(config: Config, dotted: str) -> int:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    if not isinstance(value, int):
        raise TypeError(f"{BODY_LIMIT_KEY}: {dotted} is not a size in bytes")
    return value
