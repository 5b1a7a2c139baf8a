"""``server.*``: where and how the HTTP server listens (Neko's ``internal/config/server.go``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from . import v2
from .declare import Legacy, key
from .values import positive


def _host_port(value: str) -> str | None:
    host, _, port = value.rpartition(":")
    return None if host and port.isdigit() and 0 < int(port) < 65536 else "expected host:port"


def _path(value: str) -> str | None:
    return None if value.startswith("/") else "expected a path starting with /"


def _folder(value: str) -> str | None:
    return None if not value or os.path.isdir(value) else "expected a folder that exists"


def _readable_file(value: str) -> str | None:
    return None if not value or os.access(value, os.R_OK) else "expected a file this process can read"


def _cert_and_key(config: Any) -> str | None:
    """Neko serves TLS only with both; one alone would silently serve plain HTTP."""
    server = config.server
    if bool(server.cert) != bool(server.key):
        return "TLS needs both server.cert and server.key; only one is set"
    return None


def _workers_share_state(config: Any) -> str | None:
    workers = config.server.workers
    if workers > 1 and config.session.store != "redis":
        # Each worker would hold its own sessions: a login on one would be unknown to the others.
        return (
            f"{workers} workers need a shared session store; set NEKO_SESSION_STORE=redis "
            "(session.store: redis, with NEKO_REDIS_URL) or run one worker"
        )
    if workers > 1 and config.desktop.enabled:
        # Every worker would drive (or start) its own X server.
        return f"{workers} workers: the desktop runs in one process; set NEKO_DESKTOP_ENABLED=false"
    return None


@dataclass(frozen=True)
class ServerConfig:
    bind: str = key(
        "127.0.0.1:8080",
        "address and port to serve on",
        check=_host_port,
        legacy=(Legacy("bind", convert=v2.bind, note="`:8080` means every interface, as in Go"),),
    )
    proxy: bool = key(
        False, "trust X-Forwarded-For/-Proto (enable only behind a reverse proxy)", legacy=(Legacy("proxy"),)
    )
    cors: tuple[str, ...] = key(
        (), "origins allowed to call the API from a browser (list; `*` for any)", legacy=(Legacy("cors"),)
    )
    metrics: bool = key(True, "serve Prometheus metrics at /metrics")
    static: str = key(
        "",
        "a folder served at / instead of the room's page (Neko's built client, say); empty: the room's page",
        check=_folder,
        legacy=(Legacy("static"),),
    )
    path_prefix: str = key(
        "/",
        "serve every route (API, /api/ws, /openapi.json) under this path",
        check=_path,
        legacy=(Legacy("path_prefix", convert=v2.path_prefix, note="cleaned, with a leading /"),),
    )
    max_header_size: int = key(16 * 1024, "requests with more header bytes are refused with 431 (ours)")
    max_url_length: int = key(8 * 1024, "requests with a longer URL are refused with 414 (ours)")
    batch_limit: int = key(100, "most sub-requests in one POST /api/batch (ours)", check=positive)
    max_body_size: int = key(
        1024 * 1024, "request bodies with more bytes are refused with 413 before being read (ours)"
    )
    # A request's line and headers must arrive within header_timeout of the connection opening (or
    # of the request's first byte), and its body within body_timeout of the headers.
    header_timeout: float = key(
        10.0,
        "a request line and headers not received in this time close the connection (ours)",
        check=positive,
    )
    body_timeout: float = key(
        30.0,
        "a request body not received in this time after the headers is answered 408 (ours)",
        check=positive,
    )
    max_upload_size: int = key(
        256 * 1024 * 1024, "the same for multipart/form-data bodies: file uploads (ours)", check=positive
    )
    # Upload bodies are admitted (after the caller's right is checked) by their declared length.
    upload_in_flight_per_session: int = key(
        512 * 1024 * 1024,
        "bytes of uploads one session may be sending at once; one more is refused with 429 (ours)",
        check=positive,
    )
    upload_in_flight: int = key(
        1024 * 1024 * 1024,
        "bytes of uploads all sessions together may be sending at once (per worker process); past it 503 (ours)",
        check=positive,
    )
    workers: int = key(
        1,
        "worker processes (ours); more than 1 needs `session.store: redis` and `desktop.enabled: false`",
        check=positive,
        cross_check=_workers_share_state,
        flag="--workers",
    )
    # Last: the field named ``key`` shadows the declaring function in the class body from here on.
    cert: str = key(
        "",
        "TLS certificate (PEM, with its chain): serve https and wss; needs `server.key`",
        check=_readable_file,
        cross_check=_cert_and_key,
        legacy=(Legacy("cert"),),
    )
    key: str = key("", "the TLS certificate's private key (PEM file)", check=_readable_file, legacy=(Legacy("key"),))

    @property
    def host(self) -> str:
        return self.bind.rpartition(":")[0] or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.bind.rpartition(":")[2])
