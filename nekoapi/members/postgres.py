"""The ``postgres`` provider: the SQLite schema and queries, on PostgreSQL through asyncpg."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ..config import MemberConfig
from .passwords import Passwords
from .sql import SqlMemberProvider

CONNECT_TIMEOUT = 5.0  # seconds
COMMAND_TIMEOUT = 10.0


def create_postgres_provider(config: MemberConfig) -> SqlMemberProvider:
    settings = config.postgres  # the configuration requires a URL with this provider
    url = make_url(settings.url).set(drivername="postgresql+asyncpg")
    # hide_parameters: password hashes never reach a log line or an error message. The
    # timeouts make a database that stops answering a prompt 503, not a request that hangs.
    engine = create_async_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"timeout": CONNECT_TIMEOUT, "command_timeout": COMMAND_TIMEOUT},
    )
    return SqlMemberProvider(engine, settings.table, Passwords(config), settings.admin_password)
