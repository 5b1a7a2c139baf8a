"""Tag ``sessions``: every session, and the administrator's commands on them."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, json, json_array, no_content, services


async def sessions_get() -> Response:
    return json_array(session.data_json() for session in services().sessions.list())


async def session_get(session_id: str) -> Response:
    # find: also a session another worker created a moment ago (session.store redis)
    return json((await services().sessions.find(session_id)).data())


async def session_remove(session_id: str, token_info: dict[str, Any]) -> Response:
    await services().sessions.remove(caller(token_info), session_id)
    return no_content()


async def session_disconnect(session_id: str) -> Response:
    await services().sessions.disconnect(session_id)
    return no_content()
