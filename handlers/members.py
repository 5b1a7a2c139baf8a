"""Tag ``members``: the stored members (administrators; the list any session, as Neko; the spec has the rule)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ._reply import json, no_content, services


async def members_list(limit: int = 0, offset: int = 0) -> Response:
    members = await services().member_manager.list(limit, offset)
    return json([{"id": member_id, "profile": profile.to_dict()} for member_id, profile in members])


async def members_create(body: dict[str, Any]) -> Response:
    member_id, profile = await services().member_manager.create(body["username"], body["password"], body.get("profile"))
    return json({"id": member_id, "profile": profile.to_dict()})


async def members_get_profile(member_id: str) -> Response:
    return json((await services().member_manager.get_profile(member_id)).to_dict())


async def members_update_profile(member_id: str, body: dict[str, Any]) -> Response:
    await services().member_manager.update_profile(member_id, body)
    return no_content()


async def members_remove(member_id: str) -> Response:
    await services().member_manager.remove(member_id)
    return no_content()


async def members_update_password(member_id: str, body: dict[str, Any]) -> Response:
    await services().member_manager.update_password(member_id, body["password"])
    return no_content()


async def members_bulk_update(body: dict[str, Any]) -> Response:
    await services().member_manager.bulk_update(body["ids"], body["profile"])
    return no_content()


async def members_bulk_delete(body: dict[str, Any]) -> Response:
    await services().member_manager.bulk_delete(body["ids"])
    return no_content()
