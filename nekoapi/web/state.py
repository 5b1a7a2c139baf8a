"""Where a request finds the running services: the ASGI scope's ``state``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Set for each request by the operation (web/fastpath.py), as Connexion's ContextMiddleware does;
# read directly rather than through ``connexion.context.scope``, a werkzeug proxy.
from connexion.context import _scope

if TYPE_CHECKING:
    from ..services import Services

STATE_KEY = "nekoapi"
# The ASGI app itself, for batch sub-requests.
SERVER_KEY = "nekoapi.server"


def request_scope() -> dict[str, Any]:
    """The scope of the request being handled."""
    return _scope.get()


def services_of(scope: Any) -> Services:
    return scope["state"][STATE_KEY]  # type: ignore[no-any-return]
