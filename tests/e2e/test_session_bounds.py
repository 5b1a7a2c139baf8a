"""What one client may cost the server is bounded: bytes queued for a socket, sessions left behind."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.test_room_events import admin_and_slow_reader, change_settings_and_wait, open_room
from tests.support.factory import make_config
from tests.support.patience import REPLY


@pytest.mark.parametrize("frames", [True, False], ids=["frames", "asgi"])
async def test_a_client_that_stops_reading_is_closed_by_the_bytes_it_left(frames: bool) -> None:
    # The message limit stays as shipped (1024): 200 large events are far below it, and far above the byte cap.
    config = make_config(NEKO_SESSION_SEND_QUEUE_BYTES="262144")
    blob = "x" * 32_768
    async for room in open_room(config, frames=frames):
        admin, admin_ws, slow, slow_ws = await admin_and_slow_reader(room)
        dropped = False
        for n in range(200):
            dropped = await change_settings_and_wait(admin, admin_ws, n, blob, slow.id)
            if dropped:
                break
        assert dropped, "a client that does not read kept 6 MiB queued without being closed"
        close = await asyncio.wait_for(slow_ws.closed(), REPLY)
        assert slow_ws.seen[-1] == {"event": "system/disconnect", "payload": {"message": "connection too slow"}}
        assert close is not None and (close.code, close.reason) == (1000, "connection too slow")


async def test_sessions_without_a_socket_expire_and_connected_ones_stay() -> None:
    # Long enough that the checks made within it hold on a busy machine.
    expiry = 2.0
    async for room in open_room(make_config(NEKO_SESSION_DISCONNECTED_EXPIRY=f"{expiry}s")):
        admin, admin_ws = await room.join("root", admin=True)
        idle = await room.login("idle")
        await admin_ws.wait_for("session/created", id=idle.id)
        assert (await room.http.get("/api/whoami", headers=idle.bearer)).status_code == 200
        assert await admin_ws.wait_for("session/deleted") == {"id": idle.id}
        assert (await room.http.get("/api/whoami", headers=idle.bearer)).status_code == 401
        await asyncio.sleep(expiry + 0.5)  # connected for longer than the expiry: kept
        listed = (await room.http.get("/api/sessions", headers=admin.bearer)).json()
        assert [s["id"] for s in listed] == [admin.id]

        await admin_ws.close()  # and once it has no socket, its time starts
        assert (await room.http.get("/api/whoami", headers=admin.bearer)).status_code == 200
        deadline = asyncio.get_running_loop().time() + REPLY
        while (await room.http.get("/api/whoami", headers=admin.bearer)).status_code != 401:
            assert asyncio.get_running_loop().time() < deadline, "a session disconnected past the expiry was kept"
            await asyncio.sleep(0.1)


async def test_sessions_are_kept_as_long_as_configured() -> None:
    async for room in open_room(make_config()):  # as shipped: a day
        idle = await room.login("idle")
        await asyncio.sleep(1.0)
        assert (await room.http.get("/api/whoami", headers=idle.bearer)).status_code == 200
