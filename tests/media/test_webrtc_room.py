"""The room's rules over WebRTC: watching state, private mode, revoked permissions, signal/close."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from nekoapi.media.pulse import PulseServer
from tests.support.factory import ADMIN_PASSWORD
from tests.support.patience import REPLY

from .client import Viewer, room_settings
from .conftest import Join
from .desktop import Painter, animate
from .server import media_server


async def frames_flow(client: Viewer, timeout: float = 1.5) -> bool:
    try:
        await client.frame(timeout=timeout)
        await client.frame(timeout=timeout)
    except TimeoutError:
        return False
    return True


async def state_of(admin: Viewer, session_id: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=admin.base_url) as http:
        response = await http.get(f"/api/sessions/{session_id}", headers={"Authorization": f"Bearer {admin.token}"})
        return response.json()["state"]  # type: ignore[no-any-return]


async def test_is_watching_follows_the_peer(join: Join) -> None:
    admin, alice = await join("boss", admin=True), await join("alice")
    await alice.watch()
    assert admin.ws is not None and alice.ws is not None
    state = await admin.ws.wait_for("session/state", id=alice.id, is_watching=True)
    assert "watching_since" in state
    await alice.pc.close()
    await admin.ws.wait_for("session/state", id=alice.id, is_watching=False, timeout=REPLY)
    assert await alice.ws.wait_for("signal/close", timeout=REPLY) is None


async def test_private_mode_pauses_non_admins_and_resumes(join: Join, painter: Painter) -> None:
    animating = asyncio.create_task(animate(painter, 30))  # frames are sent only while the screen changes
    try:
        await _private_mode_pauses_non_admins_and_resumes(join)
    finally:
        animating.cancel()


async def _private_mode_pauses_non_admins_and_resumes(join: Join) -> None:
    admin, alice = await join("boss", admin=True), await join("alice")
    await admin.watch()
    await alice.watch()
    assert await frames_flow(alice)
    await room_settings(admin, private_mode=True)
    await asyncio.sleep(0.3)  # packets already on the way
    decoded = alice.tracks["video"]._queue  # type: ignore[attr-defined]
    while not decoded.empty():  # frames decoded before the pause
        decoded.get_nowait()
    assert not await frames_flow(alice)
    assert await frames_flow(admin)  # admins keep watching
    assert (await state_of(admin, alice.id))["is_watching"]  # paused but connected, as in Neko
    await room_settings(admin, private_mode=False)
    assert await frames_flow(alice, timeout=REPLY)


async def test_a_request_needs_can_watch(media_display: str, pulse: PulseServer) -> None:
    users = [{"username": "blind", "password": "pw", "profile": {"can_watch": False}}]
    env = {"NEKO_MEMBER_PROVIDER": "object", "NEKO_MEMBER_OBJECT_USERS": json.dumps(users)}
    with media_server(media_display, pulse, **env) as server:
        client = Viewer(server.http_url, server.ws_url())
        try:
            await client.login("blind", "pw")
            with pytest.raises(TimeoutError):
                await client.watch(timeout=1.5)
        finally:
            await client.close()


@pytest.mark.parametrize("revoked", ["can_watch", "can_connect", "can_login"])
async def test_revoking_a_right_the_peer_needs_closes_it(media_display: str, pulse: PulseServer, revoked: str) -> None:
    with media_server(media_display, pulse, NEKO_MEMBER_PROVIDER="sqlite") as server:
        admin, bob = Viewer(server.http_url, server.ws_url()), Viewer(server.http_url, server.ws_url())
        try:
            await admin.login("admin", ADMIN_PASSWORD)
            bearer = {"Authorization": f"Bearer {admin.token}"}
            async with httpx.AsyncClient(base_url=server.http_url, headers=bearer) as http:
                created = await http.post("/api/members", json={"username": "bob", "password": "pw"})
                assert created.status_code in (200, 201), created.text
                await bob.login("bob", "pw")
                await bob.watch()
                assert bob.ws is not None
                await bob.ws.wait_for("session/state", id=bob.id, is_watching=True)
                await bob.frame()
                response = await http.post("/api/members/bob", json={revoked: False})
                assert response.status_code == 204, response.text
            if revoked == "can_watch":  # still connected: told so; otherwise the socket itself goes
                assert await bob.ws.wait_for("signal/close", timeout=REPLY) is None
            assert await bob.falls_silent("video"), "the video kept coming"
            assert not server.app.services.media.viewers
        finally:
            await admin.close()
            await bob.close()
