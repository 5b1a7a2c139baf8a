"""Tag ``links``: share links (ours) and the guests' login."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import caller, client_address, json, logged_in, no_content, services


async def links_list() -> Response:
    return json([link.to_dict() for link in await services().links.list()])


async def links_create(body: dict[str, Any], token_info: dict[str, Any]) -> Response:
    link, token = await services().links.create(
        caller(token_info),
        can_host=body.get("can_host", False),
        uses=body.get("uses", 1),
        expires_in=body.get("expires_in", 0),
        name=body.get("name", ""),
    )
    return json({**link.to_dict(), "token": token})


async def links_revoke(link_id: str) -> Response:
    await services().links.revoke(link_id)
    return no_content()


async def login_link(body: dict[str, Any]) -> Response:
    session, token = await services().links.login(body["token"], body.get("name"), client_address())
    return logged_in(session, token)  # answered as POST /api/login is
