"""``webrtc.turn``: the bundled coturn relay, for browsers that reach nothing but its port.

The browser runs on a host of its own (a network namespace, tests/support/netns.py) whose firewall lets
it reach only the API's port and the relay's; the relay's own refusals are tested with a TURN client
written from the RFC's messages (aioice's STUN codec), so that each answer can be seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aioice import stun
from playwright.async_api import expect

from nekoapi.media import rtc_internals as rtc
from nekoapi.media.pulse import PulseServer
from nekoapi.media.turn import TurnRelay
from nekoapi.media.turnconf import credentials
from tests.legacy.test_v2_media import v2_client
from tests.support.browser import log_in, shows
from tests.support.confined import confine, page_inside
from tests.support.factory import USER_PASSWORD, make_config
from tests.support.live import LiveServer
from tests.support.netns import Link, RemoteHost
from tests.support.patience import REPLY, START, STOP
from tests.support.tls import self_signed, trusting
from tests.support.turnclient import TurnClient, error_code

from .client import Viewer
from .desktop import Painter
from .remote import SMALL, free_port_pair
from .server import media_server

SECRET = "a-shared-secret-of-43-characters-0123456789"


def turn_env(port: int, **env: str) -> dict[str, str]:
    return {"NEKO_WEBRTC_TURN_ENABLED": "true", "NEKO_WEBRTC_TURN_PORT": str(port), **env}


@contextlib.contextmanager
def relayed_server(display: str, pulse: PulseServer, link: Link, port: int) -> Iterator[LiveServer]:
    env = turn_env(port, NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS=link.outside)
    env |= {"NEKO_CAPTURE_VIDEO_IDS": "small", "NEKO_CAPTURE_VIDEO_PIPELINES": json.dumps(SMALL)}
    with media_server(display, pulse, host=link.outside, **env) as server:
        yield server


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def test_a_browser_reaching_only_the_relay_plays_through_it_and_the_relay_ends_with_the_server(
    media_display: str, pulse: PulseServer, link: Link, painter: Painter, tmp_path: Path
) -> None:
    port = free_port_pair()
    with relayed_server(media_display, pulse, link, port) as server:
        relay = server.app.services.media.turn
        assert relay is not None and relay.process is not None
        coturn = relay.process.pid
        api_port = int(server.http_url.rsplit(":", 1)[1])
        confine(link, tcp=(api_port, port), udp=(port,))
        async with page_inside(link.namespace, server.http_url, tmp_path) as page:
            await log_in(page, "alice", USER_PASSWORD)
            painter.fill((30, 120, 220))
            await shows(page, (30, 120, 220))
            await page.get_by_role("button", name="Connection details").click()
            path = page.get_by_role("region", name="Connection details").locator("dd[data-key=path]")
            await expect(path).to_have_text(re.compile(r"^relay \((udp|tcp)\)$"), timeout=REPLY * 1000)
            (viewer,) = server.app.services.media.viewers.values()  # and the server's side of the pair
            transport = viewer.peer.pc.getTransceivers()[0].sender.transport.transport
            assert rtc.nominated(rtc.ice_agent(transport))[1].remote_candidate.type == "relay"
    deadline = time.monotonic() + STOP
    while alive(coturn):
        assert time.monotonic() < deadline, "coturn runs on after the server stopped"
        await asyncio.sleep(0.05)


def relay_entry(servers: list[dict[str, Any]], port: int) -> dict[str, Any]:
    (found,) = [s for s in servers if f"turn:127.0.0.1:{port}?transport=udp" in s["urls"]]
    assert f"turn:127.0.0.1:{port}?transport=tcp" in found["urls"]
    return found


async def test_v3_and_v2_clients_each_get_the_relay_with_credentials_of_their_own(
    media_display: str, pulse: PulseServer
) -> None:
    port = free_port_pair()
    env = turn_env(port, NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS="127.0.0.1")
    with media_server(media_display, pulse, **env) as server:
        bob = Viewer(server.http_url, server.ws_url())
        try:
            await bob.login("bob", USER_PASSWORD)
            await bob.watch({"audio": {"disabled": True}})
            v3 = relay_entry(bob.provide["iceservers"], port)
            async with v2_client(server, "carol") as carol:
                v2 = relay_entry(carol.greeting[-1]["ice"], port)
                assert carol.greeting[-1]["lite"] is False
        finally:
            await bob.close()
    assert v3["username"].endswith(f":{bob.id}") and v2["username"].endswith(f":{carol.id}")
    assert v3["credential"] != v2["credential"]


# --- the relay's refusals, asked by a TURN client of our own ---


@pytest.fixture
async def relay(link: Link) -> AsyncIterator[TurnRelay]:
    config = make_config(**turn_env(free_port_pair(), NEKO_WEBRTC_TURN_SECRET=SECRET))
    started = TurnRelay(config)
    await started.start()
    yield started
    await started.stop()


async def listener(address: str) -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind((address, 0))
    return sock, int(sock.getsockname()[1])


async def received(sock: socket.socket, quiet: float = 1.0) -> list[bytes]:
    got = []
    with contextlib.suppress(TimeoutError):
        while True:
            got.append(await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 2048), quiet))
    return got


async def test_the_relay_reaches_only_the_servers_own_addresses(
    relay: TurnRelay, link: Link, remote: RemoteHost
) -> None:
    own = next(a for a in relay.plan.peers if ":" not in a)
    client = TurnClient(("127.0.0.1", relay.plan.port))
    given = relay.ice_servers("alice")[0]
    elsewhere, elsewhere_port = await remote.run(listener(link.inside))
    ours, ours_port = await listener(own)
    try:
        allocated = await client.allocate(given["username"], given["credential"])
        assert error_code(allocated) is None and "XOR-RELAYED-ADDRESS" in allocated.attributes
        assert error_code(await client.permit(link.inside)) == 403  # another host's address
        assert error_code(await client.permit("127.0.0.1")) == 403  # loopback
        assert error_code(await client.permit(own)) is None
        await client.send((link.inside, elsewhere_port), b"to another host")
        await client.send((own, ours_port), b"to nekoapi")
        assert await received(ours) == [b"to nekoapi"]
        assert await remote.run(received(elsewhere)) == []
    finally:
        client.close()
        ours.close()
        await remote.run(asyncio.to_thread(elsewhere.close))


async def test_wrong_or_expired_credentials_are_refused(relay: TurnRelay) -> None:
    given = relay.ice_servers("alice")[0]
    expired = credentials(SECRET, "alice", int(time.time()) - 60)
    other_secret = credentials("t" * 43, "alice", int(time.time()) + 600)
    tried = [
        (given["username"], given["credential"] + "x"),
        (expired.username, expired.credential),
        (other_secret.username, other_secret.credential),
        (given["username"], given["credential"]),
    ]
    answers = []
    for username, password in tried:  # each from a port of its own: coturn ties a 5-tuple to its first user
        client = TurnClient(("127.0.0.1", relay.plan.port))
        try:
            answers.append(error_code(await client.allocate(username, password)))
        finally:
            client.close()
    assert answers == [401, 401, 401, None]


async def test_the_secret_is_kept_in_a_private_folder_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nekoapi")
    relay = TurnRelay(make_config(**turn_env(free_port_pair(), NEKO_WEBRTC_TURN_SECRET=SECRET)))
    await relay.start()
    try:
        folder, config_file = relay.config_file.parent, relay.config_file
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(config_file.stat().st_mode) == 0o600
        assert f"static-auth-secret={SECRET}\n" in config_file.read_text()
        assert relay.process is not None and SECRET not in Path(f"/proc/{relay.process.pid}/cmdline").read_text()
        assert "webrtc.turn: coturn relays on port" in caplog.text and SECRET not in caplog.text
        assert SECRET not in (folder / "turnserver.log").read_text()
    finally:
        await relay.stop()
    assert not folder.exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's exit, expected
def test_a_taken_relay_port_stops_start_up_with_one_line(
    media_display: str, pulse: PulseServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("0.0.0.0", 0))
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="did not start"), media_server(media_display, pulse, **turn_env(port)):
            pass
    assert f"webrtc.turn: UDP port {port} is taken" in capfd.readouterr().err


def test_a_killed_nekoapi_takes_coturn_with_it(media_display: str, pulse: PulseServer, tmp_path: Path) -> None:
    """The reaper ends coturn when nekoapi cannot (SIGKILL)."""
    port = free_port_pair()
    script = f"""
import asyncio, sys
from tests.support.factory import make_config
from nekoapi.media.turn import TurnRelay
async def main():
    relay = TurnRelay(make_config(NEKO_WEBRTC_TURN_ENABLED="true", NEKO_WEBRTC_TURN_PORT="{port}"))
    await relay.start()
    print(relay.process.pid, flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    holder = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, env=env)
    try:
        assert holder.stdout is not None
        coturn = int(holder.stdout.readline() or b"0")
        assert coturn and alive(coturn)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(STOP)
    deadline = time.monotonic() + START
    while alive(coturn):
        assert time.monotonic() < deadline, "coturn runs on after nekoapi was killed"
        time.sleep(0.05)


async def test_a_relay_that_dies_is_started_again(relay: TurnRelay) -> None:
    assert relay.process is not None
    first = relay.process.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + START
    while relay.process is None or relay.process.pid == first:
        assert time.monotonic() < deadline, "coturn was not started again"
        await asyncio.sleep(0.05)
    given, client = relay.ice_servers("alice")[0], TurnClient(("127.0.0.1", relay.plan.port))
    try:
        assert error_code(await client.allocate(given["username"], given["credential"])) is None
    finally:
        client.close()


async def test_with_the_servers_certificate_the_relay_speaks_tls_on_its_own_port(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port, tls_port = free_port_pair(), free_port_pair()
    env = turn_env(port, NEKO_WEBRTC_TURN_TLS_PORT=str(tls_port), NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS="127.0.0.1")
    relay = TurnRelay(make_config(NEKO_SERVER_CERT=str(cert), NEKO_SERVER_KEY=str(key), **env))
    await relay.start()
    try:
        (given,) = relay.ice_servers("alice")
        assert f"turns:127.0.0.1:{tls_port}?transport=tcp" in given["urls"]
        request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        reader, writer = await asyncio.open_connection("127.0.0.1", tls_port, ssl=trusting(cert))
        try:
            writer.write(bytes(request))
            header = await asyncio.wait_for(reader.readexactly(20), REPLY)
            body = await reader.readexactly(int.from_bytes(header[2:4], "big"))
        finally:
            writer.close()
        answer = stun.parse_message(header + body)
        assert answer.message_class == stun.Class.RESPONSE and answer.transaction_id == request.transaction_id
    finally:
        await relay.stop()
