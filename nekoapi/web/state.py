"""Where a request finds the running services: the ASGI scope's ``state``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..services import Services

STATE_KEY = "nekoapi"
# The ASGI app itself, for batch sub-requests.
SERVER_KEY = "nekoapi.server"


def services_of(scope: Any) -> Services:
    return scope["state"][STATE_KEY]  # type: ignore[no-any-return]
