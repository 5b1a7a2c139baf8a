"""Share links: an administrator makes one, its holder logs in as a guest without a password.

Run on the memory store (links in SQLite) and, in the Redis pass of ``make test``, on Redis.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import redis

from nekoapi.config import Config

from ..support.client import ApiClient, api_client
from ..support.factory import make_config
from ..support.redis import redis_env


async def make_link(client: ApiClient, **body: Any) -> dict[str, Any]:
    admin = await client.login_admin()
    reply = await client.post("/api/links", json=body, headers=admin.bearer)
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def link_login(client: ApiClient, token: str, **body: Any) -> Any:
    return await client.post("/api/login/link", json={"token": token, **body})


async def test_a_single_use_link_logs_one_guest_in_and_fails_the_second_time(client: ApiClient) -> None:
    link = await make_link(client)
    assert link["uses"] == 1 and link["uses_left"] == 1 and link["can_host"] is False and "expires_at" not in link
    assert len(link["token"]) >= 43  # 256 bits, URL-safe
    first = await link_login(client, link["token"], name="Ann")
    assert first.status_code == 200, first.text
    guest = first.json()
    assert guest["id"].startswith("guest~") and guest["profile"]["name"] == "Ann"
    me = await client.get("/api/whoami", headers={"Authorization": f"Bearer {guest['token']}"})
    assert me.json()["id"] == guest["id"] and me.json()["profile"]["is_admin"] is False
    second = await link_login(client, link["token"])
    assert second.status_code == 401
    assert second.json() == {"message": "invalid, expired or used share link", "code": 401}
    admin = await client.login_admin("admin2")
    assert (await client.get("/api/links", headers=admin.bearer)).json() == []  # used up: gone


async def test_a_watch_only_guest_watches_but_cannot_take_control(client: ApiClient) -> None:
    link = await make_link(client, uses=0)
    guest = (await link_login(client, link["token"])).json()
    bearer = {"Authorization": f"Bearer {guest['token']}"}
    profile = guest["profile"]
    assert profile["can_watch"] is True and profile["can_host"] is False and profile["name"] == "Guest"
    assert profile["can_access_clipboard"] is False and profile["can_share_media"] is False
    assert (await client.post("/api/room/control/request", headers=bearer)).status_code == 403
    assert (await client.post("/api/room/automation/take", headers=bearer)).status_code == 403
    assert (await client.post("/api/profile", json={"can_host": True}, headers=bearer)).status_code == 403


async def test_a_may_host_guest_takes_control(client: ApiClient) -> None:
    link = await make_link(client, can_host=True, name="Helper")
    guest = (await link_login(client, link["token"])).json()
    assert guest["profile"]["can_host"] is True and guest["profile"]["name"] == "Helper"
    bearer = {"Authorization": f"Bearer {guest['token']}"}
    assert (await client.post("/api/room/control/request", headers=bearer)).status_code == 204
    assert (await client.get("/api/room/control", headers=bearer)).json() == {"has_host": True, "host_id": guest["id"]}


async def test_a_revoked_link_fails_and_is_no_longer_listed(client: ApiClient) -> None:
    link = await make_link(client, uses=0)
    admin = await client.login_admin("admin2")
    listed = (await client.get("/api/links", headers=admin.bearer)).json()
    assert [item["id"] for item in listed] == [link["id"]] and "token" not in listed[0]
    assert (await client.delete(f"/api/links/{link['id']}", headers=admin.bearer)).status_code == 204
    assert (await link_login(client, link["token"])).status_code == 401
    assert (await client.delete(f"/api/links/{link['id']}", headers=admin.bearer)).status_code == 404
    assert (await client.get("/api/links", headers=admin.bearer)).json() == []


async def test_a_link_expires(client: ApiClient) -> None:
    links = client.app.services.links
    link = await make_link(client, uses=0, expires_in=60)
    assert "expires_at" in link and "uses_left" not in link
    assert (await link_login(client, link["token"])).status_code == 200  # unlimited: again and again
    assert (await link_login(client, link["token"])).status_code == 200
    now = links.clock()
    links.clock = lambda: now + 61
    assert (await link_login(client, link["token"])).status_code == 401
    admin = await client.login_admin()
    assert (await client.get("/api/links", headers=admin.bearer)).json() == []


async def test_only_administrators_make_list_and_revoke_links(client: ApiClient) -> None:
    user = await client.login_user()
    assert (await client.post("/api/links", json={}, headers=user.bearer)).status_code == 403
    assert (await client.get("/api/links", headers=user.bearer)).status_code == 403
    assert (await client.delete("/api/links/abc", headers=user.bearer)).status_code == 403
    assert (await client.post("/api/links", json={})).status_code == 401
    admin = await client.login_admin()
    bad = await client.post("/api/links", json={"uses": -1}, headers=admin.bearer)
    assert bad.status_code == 400


async def test_a_locked_room_refuses_guests_without_using_their_link() -> None:
    async with api_client(make_config(NEKO_SESSION_LOCKED_LOGINS="true")) as client:
        link = await make_link(client)
        refused = await link_login(client, link["token"])
        assert refused.status_code == 403
        admin = await client.login_admin("admin2")
        listed = (await client.get("/api/links", headers=admin.bearer)).json()
        assert listed[0]["uses_left"] == 1  # not used by the refusal


async def test_with_cookies_the_guest_gets_the_cookie_as_a_member_would() -> None:
    config = make_config(NEKO_SESSION_COOKIE_ENABLED="true", NEKO_SESSION_COOKIE_SECURE="false")
    async with api_client(config) as client:
        admin = await client.login_admin()
        link = (await client.post("/api/links", json={})).json()  # the administrator's cookie
        client.cookies.clear()
        reply = await link_login(client, link["token"])
        assert reply.status_code == 200 and "token" not in reply.json()
        assert "NEKO_SESSION=" in reply.headers["set-cookie"] and "HttpOnly" in reply.headers["set-cookie"]
        assert admin.id != reply.json()["id"]


async def test_guessed_tokens_are_throttled_per_address(client: ApiClient) -> None:
    for _ in range(6):  # session.login_throttle.free_attempts, then the first throttled failure
        assert (await link_login(client, "x" * 43)).status_code == 401
    throttled = await link_login(client, "y" * 43)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1


async def test_members_cannot_take_a_guest_id(client: ApiClient, tmp_path: Path) -> None:
    config = make_config(NEKO_MEMBER_PROVIDER="sqlite")
    async with api_client(config) as members:
        admin = await members.login_admin()
        refused = await members.post(
            "/api/members", json={"username": "Guest~1", "password": "pw"}, headers=admin.bearer
        )
        assert refused.status_code == 422 and "share links" in refused.json()["message"]
    noauth = await client.post("/api/login", json={"username": "guest~x", "password": "user-secret"})
    assert noauth.status_code == 403  # multiuser: the session id would start with guest~


async def test_links_survive_a_restart_and_only_their_digest_is_stored() -> None:
    config = make_config(NEKO_SESSION_STORE="memory")
    async with api_client(config) as client:
        link = await make_link(client, uses=2)
    path = Path(config.session.links_file)
    stored = path.read_bytes()
    assert link["token"].encode() not in stored
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM share_links").fetchone() == (1,)
    assert path.stat().st_mode & 0o077 == 0  # the owner's alone
    async with api_client(config) as client:
        assert (await link_login(client, link["token"])).status_code == 200
        admin = await client.login_admin()
        assert (await client.get("/api/links", headers=admin.bearer)).json()[0]["uses_left"] == 1


async def test_redis_keeps_only_the_digest_of_a_link() -> None:
    env = redis_env()
    async with api_client(make_config(**env)) as client:
        link = await make_link(client, uses=0)
    stored = redis.Redis.from_url(env["NEKO_REDIS_URL"])
    try:
        records = stored.hvals(f"{env['NEKO_REDIS_PREFIX']}:links")
        digests = stored.hkeys(f"{env['NEKO_REDIS_PREFIX']}:link-digests")
    finally:
        stored.close()
    assert len(records) == 1 and link["id"].encode() in records[0]
    assert all(link["token"].encode() not in value for value in [*records, *digests])


async def test_links_survive_a_restart_on_the_configured_store(config: Config) -> None:
    async with api_client(config) as client:
        link = await make_link(client, uses=0)
    async with api_client(config) as client:
        assert (await link_login(client, link["token"])).status_code == 200
