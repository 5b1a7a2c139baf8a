"""Tag ``chat``: Neko's chat plugin."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, no_content, services


async def chat_send(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    services().plugins.chat.send(caller(token_info), body["text"])
    return no_content()
