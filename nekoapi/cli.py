"""The ``nekoapi`` command."""

from __future__ import annotations

import argparse
import sys
import typing
import warnings
from typing import TYPE_CHECKING, Any

from . import errors
from .config import Config, ConfigError, from_environment, keys
from .configdoc import key_table
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
            "the environment wins over the file, and an option below over both."
        ),
        epilog=key_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", metavar="FILE", help="YAML configuration file (default: $NEKO_CONFIG)")
    add_key_options(serve)
    add_member_commands(commands)
    args = parser.parse_args(argv)
    try:
        config = from_environment(getattr(args, "config", None), key_options(args))
    except ConfigError as exc:
        print(f"nekoapi: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "members":
        return run_members(args, config)
    try:
        app = _create_app(config)
    except errors.StoreUnusable as exc:
        print(f"nekoapi: cannot start: {exc.text}", file=sys.stderr)
        return 2
    if config.server.workers > 1:
        return _serve_workers(config, args)
    return _serve(config, app)


def add_key_options(parser: argparse.ArgumentParser) -> None:
    """The keys declared with a ``flag``, as options that win over the file and the environment."""
    for key in keys():
        if key.spec.flag:
            choices = typing.get_args(key.kind) if typing.get_origin(key.kind) is typing.Literal else None
            parser.add_argument(
                key.spec.flag,
                dest=_dest(key.dotted),
                choices=choices,
                metavar="N" if key.kind is int else None,
                help=f"{key.doc} (overrides {key.dotted})",
            )


def key_options(args: argparse.Namespace) -> dict[str, str]:
    """The key options given on the command line: dotted key -> their text."""
    given = {k.dotted: getattr(args, _dest(k.dotted), None) for k in keys() if k.spec.flag}
    return {dotted: value for dotted, value in given.items() if value is not None}


def _dest(dotted: str) -> str:
    return "key_" + dotted.replace(".", "_")


def _create_app(config: Config) -> NekoServer:
    from .web.app import create_app

    return create_app(config)


def _serve(config: Config, app: NekoServer) -> int:
    from . import logs
    from .web.server import GracefulServer, scheme

    log_level = logs.level_of(config)
    logs.configure_from(config)
    prefix = config.server.path_prefix.rstrip("/")
    where = f"{scheme(config.server)}://{config.server.bind}{prefix}"
    print(f"nekoapi: serving on {where} (WebSocket at {prefix}/api/ws)", file=sys.stderr)
    GracefulServer(_uvicorn_config(config, app, log_level), app).run()
    return 0


def _serve_workers(config: Config, args: argparse.Namespace) -> int:
    """n uvicorn worker processes on one socket; each builds its app from the same configuration."""
    import os

    from . import logs
    from .config import CONFIG_FILE_ENV
    from .web.server import Workers, scheme

    if args.config:
        os.environ[CONFIG_FILE_ENV] = args.config  # the workers read the same file
    log_level, workers = logs.level_of(config), config.server.workers
    os.environ["NEKO_LOG_LEVEL"] = config.log.level  # and log as --log-level asks
    logs.configure_from(config)
    prefix = config.server.path_prefix.rstrip("/")
    bind = config.server.bind
    where = f"{scheme(config.server)}://{bind}{prefix}"
    print(f"nekoapi: serving on {where} with {workers} workers sharing Redis", file=sys.stderr)
    server_config = _uvicorn_config(config, "nekoapi.web.asgi:app", log_level, workers=workers)
    sock = server_config.bind_socket()
    Workers(server_config, sockets=[sock]).run()
    return 0


# uvloop, whose transports cost the API less CPU per request than asyncio's own. Its subprocesses
# would run the interpreter's after-fork clean-up in the child (a hang seen at a browser restart), so
# nekoapi starts its children through nekoapi/children.py instead, never the loop's.
EVENT_LOOP = "uvloop"
# How long uvicorn's supervisor waits for a worker to answer its health check before it kills and
# replaces it. A starting worker answers only once it has imported the app: at a load average of 8
# that took longer than uvicorn's 5 s, and every worker was killed and started again.
WORKER_HEALTHCHECK_TIMEOUT = 30


def _uvicorn_config(config: Config, app: Any, log_level: str, workers: int = 1) -> Any:
    import uvicorn

    from .web.frames import FrameWebSocketProtocol
    from .web.httpguard import GuardedHttpToolsProtocol
    from .web.server import tls_options

    server_config = uvicorn.Config(
        app,
        factory=isinstance(app, str),
        loop=EVENT_LOOP,
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
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT,
        **tls_options(config.server),
    )
    return server_config


if __name__ == "__main__":
    sys.exit(main())
