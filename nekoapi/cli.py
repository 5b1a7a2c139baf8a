"""The ``nekoapi`` command."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .config import Config, ConfigError, from_environment, keys, show_default
from .configdoc import MEANING
from .members.cli import add_member_commands, run_members

if TYPE_CHECKING:
    from .web.app import NekoServer


# Connexion imports Starlette's test client at start-up, which warns about httpx on every
# start; it says nothing about this server, so an operator should not have to read it.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nekoapi", description="The Neko v3 API server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the API and the WebSocket",
        description=(
            "Serve the API. Every key below can be set in a YAML file in Neko's layout\n"
            "(--config FILE or NEKO_CONFIG) or as its NEKO_* environment variable;\n"
            "the environment wins over the file."
        ),
        epilog=key_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", metavar="FILE", help="YAML configuration file (default: $NEKO_CONFIG)")
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="overrides log.level")
    serve.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes (N > 1 needs session.store redis)"
    )
    add_member_commands(commands)
    args = parser.parse_args(argv)
    try:
        config = from_environment(getattr(args, "config", None))
        if args.command == "members":
            return run_members(args, config)
        _check_workers(args.workers, config)
        app = _create_app(config)  # providers and stores may refuse their settings too
    except ConfigError as exc:
        print(f"nekoapi: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.workers > 1:
        return _serve_workers(config, args, args.log_level or config.log.level)
    return _serve(config, app, args.log_level or config.log.level)


def _check_workers(workers: int, config: Config) -> None:
    if workers < 1:
        raise ConfigError(f"--workers: expected a number above 0, got {workers}")
    if workers > 1 and config.session.store != "redis":
        # Each worker would hold its own sessions: a login on one would be unknown to the others.
        raise ConfigError(
            f"--workers {workers} needs a shared session store; set NEKO_SESSION_STORE=redis "
            f"(session.store: redis, with NEKO_REDIS_URL) or run one worker"
        )
    if workers > 1 and config.desktop.enabled:
        # Every worker would drive (or start) its own X server.
        raise ConfigError(f"--workers {workers}: the desktop runs in one process; set NEKO_DESKTOP_ENABLED=false")


def key_table() -> str:
    rows = [(k.dotted, k.env, show_default(k.default) or '""', MEANING.get(k.dotted, "")) for k in keys()]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"  {d:<{width[0]}}  {e:<{width[1]}}  {v:<{width[2]}}  {m}" for d, e, v, m in rows]
    return "configuration keys (file key, environment variable, default, meaning):\n" + "\n".join(lines)


def markdown_table() -> str:
    """The README's configuration table; a test keeps the README equal to it."""
    rows = [f"| `{k.dotted}` | `{k.env}` | {_md_default(k.default)} | {MEANING.get(k.dotted, '')} |" for k in keys()]
    return "\n".join(["| file key | environment variable | default | meaning |", "|---|---|---|---|", *rows])


def _md_default(value: object) -> str:
    shown = show_default(value)
    return f"`{shown}`" if shown else "(empty)"


def _create_app(config: Config) -> NekoServer:
    from .web.app import create_app

    return create_app(config)


def _serve(config: Config, app: NekoServer, log_level: str) -> int:
    from . import logs
    from .web.server import GracefulServer

    logs.configure(log_level, json=config.log.json)
    prefix = config.server.path_prefix.rstrip("/")
    print(f"nekoapi: serving on http://{config.server.bind}{prefix} (WebSocket at {prefix}/api/ws)", file=sys.stderr)
    GracefulServer(_uvicorn_config(config, app, log_level), app).run()
    return 0


def _serve_workers(config: Config, args: argparse.Namespace, log_level: str) -> int:
    """n uvicorn worker processes on one socket; each builds its app from the same configuration."""
    import os

    from . import logs
    from .config import CONFIG_FILE_ENV
    from .web.server import Workers

    if args.config:
        os.environ[CONFIG_FILE_ENV] = args.config  # the workers read the same file
    os.environ["NEKO_LOG_LEVEL"] = log_level  # and log as --log-level asks
    logs.configure(log_level, json=config.log.json)
    prefix = config.server.path_prefix.rstrip("/")
    bind = config.server.bind
    print(f"nekoapi: serving on http://{bind}{prefix} with {args.workers} workers sharing Redis", file=sys.stderr)
    server_config = _uvicorn_config(config, "nekoapi.web.asgi:app", log_level, workers=args.workers)
    sock = server_config.bind_socket()
    Workers(server_config, sockets=[sock]).run()
    return 0


def _uvicorn_config(config: Config, app: Any, log_level: str, workers: int = 1) -> Any:
    import uvicorn

    from .web.frames import FrameWebSocketProtocol
    from .web.httpguard import GuardedHttpToolsProtocol

    server_config = uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=config.server.host,
        port=config.server.port,
        log_level=log_level,
        ws_ping_interval=float(config.session.heartbeat_interval),
        ws_ping_timeout=float(config.session.heartbeat_interval) * 2,
        server_header=False,
        http=GuardedHttpToolsProtocol,  # deadlines and a bounded request head (nekoapi/web/httpguard.py)
        ws=FrameWebSocketProtocol,  # broadcasts write prebuilt frames (nekoapi/web/frames.py)
        # Prebuilt frames are never compressed, so the extension would only cost zlib state
        # on every socket (~45 KB once used).
        ws_per_message_deflate=False,
        ws_max_size=config.session.ws_max_message_size,
        h11_max_incomplete_event_size=config.server.max_header_size,
        log_config=None,  # our handler, with the token redaction filter, prints everything
        access_log=False,  # the request observer writes one line per request instead
        proxy_headers=False,  # forwarded headers are trusted only with server.proxy (see create_app)
        timeout_graceful_shutdown=5,
    )
    return server_config


if __name__ == "__main__":
    sys.exit(main())
