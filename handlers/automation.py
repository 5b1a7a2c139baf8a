"""Tag ``automation``: the room's browser over CDP (ours), and the hand-over between agents and humans."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi import errors
from nekoapi.web.cdp import debugger_url, version_document
from nekoapi.web.state import request_scope

from ._reply import caller, json, no_content, services


async def cdp_connect(token_info: dict[str, Any]) -> Response:
    # Reached only without an upgrade: the WebSocket itself is served by nekoapi/web/cdp.py.
    services().automation.require_agent(caller(token_info))
    raise errors.UpgradeRequired()


async def cdp_version(token_info: dict[str, Any]) -> Response:
    automation = services().automation
    automation.require_agent(caller(token_info))
    url = debugger_url(request_scope(), services().config.server.path_prefix)
    return json(version_document(await automation.devtools.version(), url))


async def cdp_version_trailing_slash(token_info: dict[str, Any]) -> Response:
    return await cdp_version(token_info)


async def automation_status() -> Response:
    return json(services().automation.status())


async def automation_handover(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().automation.ask(caller(token_info), body["message"])
    return no_content()


async def automation_take(token_info: dict[str, Any]) -> Response:
    await services().automation.take(caller(token_info))
    return no_content()


async def automation_give_back(token_info: dict[str, Any]) -> Response:
    await services().automation.give_back(caller(token_info))
    return no_content()
