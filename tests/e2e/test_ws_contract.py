"""The WebSocket contract over a real socket: malformed client events are dropped as Neko drops
them, and a server event the spec does not declare fails the test client that receives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient
from tests.support.events import server_violations
from tests.support.live import EventClient, LiveServer


async def test_malformed_events_get_no_answer_and_the_socket_stays_open(server: LiveServer, http: ApiClient) -> None:
    alice = await http.login_user("alice")
    client = await EventClient.connect(server.ws_url(alice.token))
    await client.send("send/unicast", {"receiver": alice.id, "subject": "ready"})
    await client.wait_for("send/unicast", subject="ready")  # past the greetings
    for event, payload in [
        ("control/move", {"x": "left", "y": 0}),
        ("chat/message", {"text": 42}),
        ("signal/request", {"video": "all of it"}),
        ("send/unicast", {"subject": "to nobody"}),
        ("system/logs", "one line"),
        ("no/such", {}),
    ]:
        await client.send(event, payload)
    await client.send("send/unicast", {"receiver": alice.id, "subject": "ping", "body": [1]})
    # Nothing came back for the dropped ones: the next event is the answer to the last message.
    relayed = {"sender": alice.id, "receiver": alice.id, "subject": "ping", "body": [1]}
    reply = await client.next()
    while reply["event"] == "system/heartbeat":
        reply = await client.next()
    assert reply == {"event": "send/unicast", "payload": relayed}
    await client.close()


async def test_a_server_event_outside_the_spec_fails_the_client_that_reads_it(
    server: LiveServer, http: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    greeter = server.app.services.greeter
    declared = greeter.init_payload

    def with_a_stray_field(session: Any) -> dict[str, Any]:
        return {**declared(session), "mood": "happy"}

    monkeypatch.setattr(greeter, "init_payload", with_a_stray_field)
    user = await http.login_user()
    client = await EventClient.connect(server.ws_url(user.token))
    with pytest.raises(AssertionError, match=r"system/init breaks its schema SystemInit: .*'mood' was unexpected"):
        await client.wait_for("system/init")
    await client.connection.close()
    # The server's side saw it too (as it does for clients that are not ours): taken here, not failed.
    assert any("'mood' was unexpected" in problem for problem in server_violations)
    server_violations.clear()
