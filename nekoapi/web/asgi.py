"""ASGI factory for servers that import the app by name (``uvicorn --factory``)."""

from __future__ import annotations

from ..config import from_environment
from .app import NekoServer, create_app


def app() -> NekoServer:
    return create_app(from_environment())
