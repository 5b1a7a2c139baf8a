"""The hand-over's rules and the CDP endpoint's refusals, on a server without a browser."""

from __future__ import annotations

import httpx
import pytest
import websockets

from ..support.client import ApiClient, Login
from ..support.factory import make_config
from ..support.live import EventClient, LiveServer, live_server

AGENTS = make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_automate": true}')


async def ask(client: ApiClient, who: Login, message: str = "help") -> httpx.Response:
    return await client.post("/api/room/automation/handover", json={"message": message}, headers=who.bearer)


async def test_only_sessions_that_may_automate_ask_for_a_human(client: ApiClient) -> None:
    user = await client.login_user()
    assert user.body["profile"]["can_automate"] is False  # off by default
    refused = await ask(client, user)
    assert refused.status_code == 403 and "can_automate" in refused.json()["message"]
    assert (await ask(client, user, "")).status_code == 400  # the body is checked first
    assert (await client.get("/api/room/automation", headers=user.bearer)).json() == {"paused": False, "agents": 0}


@pytest.mark.parametrize("config", [AGENTS])
async def test_take_and_give_back_follow_the_control_rules(client: ApiClient) -> None:
    bot, alice, bob = await client.login_user("bot"), await client.login_user("alice"), await client.login_user("bob")
    assert (await ask(client, bot, "a captcha")).status_code == 204
    status = (await client.get("/api/room/automation", headers=alice.bearer)).json()
    assert status == {"paused": False, "agents": 0, "handover": {"id": bot.id, "message": "a captcha"}}
    assert (await client.post("/api/room/automation/give-back", headers=alice.bearer)).status_code == 409  # not taken
    assert (await client.post("/api/room/automation/take", headers=alice.bearer)).status_code == 204
    assert (await client.get("/api/room/control", headers=alice.bearer)).json()["host_id"] == alice.id
    # Bob cannot take it from Alice (he may only ask her), nor give it back for her.
    assert (await client.post("/api/room/automation/take", headers=bob.bearer)).status_code == 409
    assert (await client.post("/api/room/automation/give-back", headers=bob.bearer)).status_code == 403
    status = (await client.get("/api/room/automation", headers=bob.bearer)).json()
    assert status == {"paused": True, "paused_by": alice.id, "agents": 0}  # the request was answered
    assert client.app.services.automation.gate() is not None
    assert (await client.post("/api/room/automation/give-back", headers=alice.bearer)).status_code == 204
    assert (await client.get("/api/room/control", headers=alice.bearer)).json() == {"has_host": False}
    assert client.app.services.automation.gate() is None


async def test_an_administrator_takes_over_from_the_host_and_any_administrator_gives_back(client: ApiClient) -> None:
    alice, admin = await client.login_user("alice"), await client.login_admin("root")
    assert (await client.post("/api/room/control/request", headers=alice.bearer)).status_code == 204
    assert (await client.post("/api/room/automation/take", headers=admin.bearer)).status_code == 204
    assert (await client.get("/api/room/control", headers=admin.bearer)).json()["host_id"] == admin.id
    other = await client.login_admin("root2")
    assert (await client.post("/api/room/automation/give-back", headers=other.bearer)).status_code == 204


async def test_the_take_over_ends_when_its_session_is_deleted(client: ApiClient) -> None:
    alice, admin = await client.login_user("alice"), await client.login_admin()
    assert (await client.post("/api/room/automation/take", headers=alice.bearer)).status_code == 204
    assert (await client.delete(f"/api/sessions/{alice.id}", headers=admin.bearer)).status_code == 204
    assert (await client.get("/api/room/automation", headers=admin.bearer)).json()["paused"] is False


@pytest.mark.parametrize("config", [AGENTS])
async def test_without_a_browser_the_cdp_endpoints_answer_503(client: ApiClient) -> None:
    bot = await client.login_user("bot")
    reply = await client.get("/api/room/cdp/json/version", headers=bot.bearer)
    assert reply.status_code == 503 and "not running" in reply.json()["message"]
    assert (await client.get("/api/room/cdp", headers=bot.bearer)).status_code == 426


def test_the_upgrade_is_refused_with_an_http_status() -> None:
    with live_server(AGENTS) as server:
        bot = httpx.post(f"{server.http_url}/api/login", json={"username": "b", "password": "user-secret"}).json()
        for url, status in ((cdp_url(server), 401), (cdp_url(server, bot["token"]), 503)):
            with pytest.raises(websockets.InvalidStatus) as refused:
                _connect(url)
            assert refused.value.response.status_code == status
        with pytest.raises(websockets.InvalidStatus) as foreign:  # a page elsewhere riding the user's cookie
            _connect(cdp_url(server, bot["token"]), origin="http://evil.example")
        assert foreign.value.response.status_code == 403


def cdp_url(server: LiveServer, token: str | None = None) -> str:
    url = f"ws://127.0.0.1:{server.port}/api/room/cdp"
    return f"{url}?token={token}" if token else url


def _connect(url: str, origin: str | None = None) -> None:
    from websockets.sync.client import connect

    with connect(url, open_timeout=10, origin=origin):  # type: ignore[arg-type]
        pass


@pytest.mark.parametrize("config", [AGENTS])
async def test_hosts_hear_the_request_and_everyone_the_status(server: LiveServer, http: ApiClient) -> None:
    bot, viewer = await http.login_user("bot"), await http.login_user("viewer")
    events = await EventClient.connect(server.ws_url(viewer.token))
    try:
        await events.wait_for("system/init")
        assert (await ask(http, bot, "a login form")).status_code == 204
        assert await events.wait_for("automation/handover") == {"id": bot.id, "message": "a login form"}
        status = await events.wait_for("automation/status")
        assert status["handover"] == {"id": bot.id, "message": "a login form"}
    finally:
        await events.connection.close()
    # A session that connects meanwhile hears the state right after system/init.
    late = await EventClient.connect(server.ws_url((await http.login_user("late")).token))
    try:
        await late.wait_for("system/init")
        assert (await late.wait_for("automation/status"))["handover"]["id"] == bot.id
    finally:
        await late.connection.close()
