"""``webrtc.turn``: the credentials and addresses a client is given, and the peers the relay may reach
(coturn itself is run by tests/media/test_turn.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

import pytest

from nekoapi.config import ConfigError, TurnConfig
from nekoapi.media.turn import TurnRelay
from nekoapi.media.turnconf import coturn_config, relay_plan, urls
from tests.support.factory import make_config

OWN = ("192.0.2.10", "2001:db8::10")
SECRET = "a-shared-secret-of-43-characters-0123456789"


def turn(**env: str) -> TurnConfig:
    return make_config(NEKO_WEBRTC_TURN_ENABLED="true", **env).webrtc.turn


def relay(**env: str) -> TurnRelay:
    return TurnRelay(make_config(NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS="turn.example.org", **env))


def test_each_session_gets_rest_api_credentials_of_its_own_that_expire() -> None:
    given = relay(NEKO_WEBRTC_TURN_SECRET=SECRET, NEKO_WEBRTC_TURN_CREDENTIAL_LIFETIME="1h")
    (alice,), (bob,) = given.ice_servers("alice"), given.ice_servers("bob")
    assert alice["urls"] == ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=tcp"]
    expiry, _, session = alice["username"].partition(":")
    assert session == "alice" and bob["username"].endswith(":bob")
    assert abs(int(expiry) - (time.time() + 3600)) < 5
    signed = hmac.new(SECRET.encode(), alice["username"].encode(), hashlib.sha1).digest()
    assert alice["credential"] == base64.b64encode(signed).decode() != bob["credential"]


def test_without_a_secret_each_start_draws_a_random_one() -> None:
    (first,), (second,) = relay().ice_servers("alice"), relay().ice_servers("alice")
    assert first["credential"] != second["credential"]


def test_the_relay_is_reached_at_the_public_address_behind_nat1to1_and_may_relay_to_it() -> None:
    plan, hosts = relay_plan(turn(), OWN, ("203.0.113.7",), None)
    assert hosts == ("203.0.113.7",) and plan.external_ip == "203.0.113.7"
    assert plan.relays == OWN and set(plan.peers) == {*OWN, "203.0.113.7"}


def test_an_external_name_goes_in_the_urls_and_an_own_address_is_no_nat() -> None:
    plan, hosts = relay_plan(turn(NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS="turn.example.org"), OWN, (), None)
    assert hosts == ("turn.example.org",) and plan.external_ip == "" and plan.peers == OWN
    plan, hosts = relay_plan(turn(NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS=OWN[0]), OWN, (), None)
    assert hosts == (OWN[0],) and plan.external_ip == "" and plan.peers == OWN
    _, hosts = relay_plan(turn(), OWN, (), None)
    assert hosts == OWN


def test_tls_adds_a_turns_url_and_the_relay_listens_for_it() -> None:
    plan, hosts = relay_plan(turn(), OWN, (), ("/c.pem", "/k.pem", 5349))
    assert urls(hosts, 3478, 5349) == [
        "turn:192.0.2.10:3478?transport=udp",
        "turn:192.0.2.10:3478?transport=tcp",
        "turns:192.0.2.10:5349?transport=tcp",
        "turn:[2001:db8::10]:3478?transport=udp",
        "turn:[2001:db8::10]:3478?transport=tcp",
        "turns:[2001:db8::10]:5349?transport=tcp",
    ]
    text = coturn_config(plan, "secret", "/private")
    assert "tls-listening-port=5349\n" in text and "cert=/c.pem\n" in text and "no-tls" not in text


def test_the_relay_denies_every_peer_but_the_servers_own_addresses() -> None:
    plan, _ = relay_plan(turn(), OWN, (), None)
    lines = coturn_config(plan, "secret", "/private").splitlines()
    assert [line for line in lines if "peer" in line] == [
        "no-multicast-peers",
        "denied-peer-ip=0.0.0.0-255.255.255.255",
        "denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "allowed-peer-ip=192.0.2.10",
        "allowed-peer-ip=2001:db8::10",
    ]
    assert {"use-auth-secret", "static-auth-secret=secret", "no-cli", "fingerprint", "no-tcp-relay"} <= set(lines)


@pytest.mark.parametrize("address", ["https://turn.example.org", "turn.example.org:3478", "a b"])
def test_an_external_address_with_a_scheme_or_a_port_is_refused(address: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS: expected an IP address")):
        turn(NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS=address)


def test_the_relay_takes_one_own_address_a_family_the_external_one_first() -> None:
    own = ("192.0.2.10", "198.18.0.1", "2001:db8::10")
    plan, _ = relay_plan(turn(), own, (), None)
    assert plan.relays == ("192.0.2.10", "2001:db8::10") and plan.peers == own
    plan, _ = relay_plan(turn(NEKO_WEBRTC_TURN_EXTERNAL_ADDRESS="198.18.0.1"), own, (), None)
    assert plan.relays == ("198.18.0.1", "2001:db8::10") and plan.peers == own
    assert "relay-ip=198.18.0.1\nrelay-ip=2001:db8::10\n" in coturn_config(plan, "secret", "/private")


def test_a_short_secret_is_refused_without_being_shown() -> None:
    with pytest.raises(ConfigError) as refused:
        turn(NEKO_WEBRTC_TURN_SECRET="hunter2-is-short")
    assert "NEKO_WEBRTC_TURN_SECRET: expected at least 32 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)
