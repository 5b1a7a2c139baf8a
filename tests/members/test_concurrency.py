"""Concurrent creates and profile updates through the API lose nothing and never duplicate a username."""

from __future__ import annotations

import asyncio

from nekoapi.models import PROFILE_FIELDS, MemberProfile

from ..support.client import ApiClient, Login

# Every field, each changed by its own request; all of them must survive the race.
CHANGES = {
    field: (not getattr(MemberProfile(), field) if field != "name" else "renamed")
    for field in sorted(PROFILE_FIELDS - {"plugins"})
}


async def test_50_concurrent_creates_of_distinct_and_of_one_username(members: ApiClient, admin: Login) -> None:
    def create(username: str) -> asyncio.Future[object]:
        body = {"username": username, "password": "pw"}
        return asyncio.ensure_future(members.post("/api/members", json=body, headers=admin.bearer))

    distinct = [create(f"user{i:02}") for i in range(50)]
    same = [create("twin") for _ in range(50)]
    distinct_replies = await asyncio.gather(*distinct)
    same_replies = await asyncio.gather(*same)
    assert [r.status_code for r in distinct_replies] == [200] * 50  # type: ignore[attr-defined]
    statuses = sorted(r.status_code for r in same_replies)  # type: ignore[attr-defined]
    assert statuses == [200] + [409] * 49
    listed = [m["id"] for m in (await members.get("/api/members", headers=admin.bearer)).json()]
    assert sorted(listed) == sorted(["admin", "twin", *(f"user{i:02}" for i in range(50))])


async def test_concurrent_updates_of_every_profile_field_lose_nothing(members: ApiClient, admin: Login) -> None:
    names = [f"m{i}" for i in range(5)]
    for name in names:
        assert (
            await members.post("/api/members", json={"username": name, "password": "pw"}, headers=admin.bearer)
        ).status_code == 200
    updates = [
        members.post(f"/api/members/{name}", json={field: value}, headers=admin.bearer)
        for name in names
        for field, value in CHANGES.items()
    ]
    assert len(updates) == len(names) * len(CHANGES) >= 50
    assert [r.status_code for r in await asyncio.gather(*updates)] == [204] * len(updates)
    for name in names:
        profile = (await members.get(f"/api/members/{name}", headers=admin.bearer)).json()
        assert {field: profile[field] for field in CHANGES} == CHANGES
