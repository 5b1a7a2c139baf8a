"""Providers without a store of their own refuse member operations with 403 and say why."""

from __future__ import annotations

import pytest

from ..support.client import api_client
from ..support.factory import ADMIN_PASSWORD, make_config
from .test_api import OPERATIONS, assert_error
from .test_providers import REFUSING

# How an administrator logs in under each provider.
ADMIN_LOGIN = {"multiuser": ("root", ADMIN_PASSWORD), "noauth": ("root", "anything"), "object": ("neko", "pw")}
OBJECT_READS = {"membersList", "membersGetProfile"}
ACTIONS = {
    "membersList": "list members",
    "membersCreate": "create members",
    "membersGetProfile": "look up members",
    "membersUpdateProfile": "change member profiles",
    "membersRemove": "remove members",
    "membersUpdatePassword": "change passwords",
    "membersBulkUpdate": "change member profiles",
    "membersBulkDelete": "remove members",
}


@pytest.mark.parametrize("provider", list(REFUSING))
async def test_providers_without_storage_refuse_with_403(provider: str) -> None:
    async with api_client(make_config(**REFUSING[provider])) as client:
        admin = await client.login(*ADMIN_LOGIN[provider])
        assert admin.body["profile"]["is_admin"] is True
        for operation, (method, path, body) in OPERATIONS.items():
            if provider == "object" and operation in OBJECT_READS:
                continue
            response = await client.request(method, path, json=body, headers=admin.bearer)
            assert_error(response, 403, f"the {provider} member provider cannot {ACTIONS[operation]}")


async def test_object_provider_lists_and_reads_its_members() -> None:
    async with api_client(make_config(**REFUSING["object"])) as client:
        admin = await client.login("neko", "pw")
        listed = await client.get("/api/members", headers=admin.bearer)
        assert [m["id"] for m in listed.json()] == ["neko"]
        assert (await client.get("/api/members/neko", headers=admin.bearer)).json()["is_admin"] is True
        assert_error(await client.get("/api/members/ghost", headers=admin.bearer), 404, "member not found: ghost")
