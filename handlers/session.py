"""Tag ``session``: the caller's own session."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nekoapi.web.cookies import clear_session_cookie

from ._reply import caller, client_address, json, logged_in, no_content, services


async def login(body: dict[str, Any]) -> Response:
    session, token = await services().sessions.login(body["username"], body["password"], client_address())
    return logged_in(session, token)


async def logout(token_info: dict[str, Any]) -> Response:
    await services().sessions.logout(caller(token_info))
    reply = json(True)
    clear_session_cookie(reply, services().config.session.cookie)
    return reply


async def whoami(token_info: dict[str, Any]) -> Response:
    return json(caller(token_info).data())


async def profile(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    await services().sessions.change_own_profile(caller(token_info), body)
    return no_content()
