"""Tag ``openinapp``: Neko's open-in-app plugin."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, no_content, services


async def openinapp_open_link(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().plugins.openinapp.open_link(caller(token_info), body["text"])
    return no_content()
