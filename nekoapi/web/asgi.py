"""ASGI factory for servers that import the app by name (``uvicorn --factory``)."""

from __future__ import annotations

from .. import logs
from ..config import from_environment
from .app import NekoServer, create_app


def app() -> NekoServer:
    config = from_environment()
    # A worker process of ``nekoapi serve --workers n`` starts here, with no logging set up yet; its
    # parent started the log file (log.dir), which the worker adds to.
    logs.configure_from(config, rotate=False)
    return create_app(config)
