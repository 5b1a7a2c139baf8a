"""The ``nekoapi`` command."""

from __future__ import annotations

import argparse
import sys

from .config import ConfigError, env_names, from_environment
from .members.cli import add_member_commands, run_members


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nekoapi", description="The Neko v3 API server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the API and the WebSocket",
        description="Serve the API. Configuration comes from these environment variables: " + ", ".join(env_names()),
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_member_commands(commands)
    args = parser.parse_args(argv)
    try:
        config = from_environment()
    except ConfigError as exc:
        print(f"nekoapi: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "members":
        return run_members(args, config)
    return _serve(config, args.log_level)


def _serve(config, log_level: str) -> int:  # type: ignore[no-untyped-def]
    import uvicorn

    from . import logs
    from .web.app import create_app

    logs.configure(log_level)
    print(f"nekoapi: serving on http://{config.server.bind} (WebSocket at /api/ws)", file=sys.stderr)
    uvicorn.run(
        create_app(config),
        host=config.server.host,
        port=config.server.port,
        log_level=log_level,
        ws_ping_interval=float(config.session.heartbeat_interval),
        ws_ping_timeout=float(config.session.heartbeat_interval) * 2,
        server_header=False,
        log_config=None,  # our handler, with the token redaction filter, prints everything
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
