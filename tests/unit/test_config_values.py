"""Keys come out parsed (screen size, port range, ICE servers, users, choices, frame rate), Neko's YAML
list forms and JSON text in the environment give the same values, and keys that depend on others are
checked when the configuration is read."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from nekoapi import cli
from nekoapi.config import ConfigError, IceServer, PortRange, ScreenSize, load_config
from nekoapi.models import MemberProfile

TURN = {"urls": "turn:127.0.0.1:3478", "username": "neko", "credential": "s3cret-turn"}
STUN = {"urls": ["stun:127.0.0.1:3478", "stun:127.0.0.2:3478"]}
PARSED_SERVERS = (
    IceServer(("turn:127.0.0.1:3478",), "neko", "s3cret-turn"),
    IceServer(("stun:127.0.0.1:3478", "stun:127.0.0.2:3478")),
)

# Neko's documented YAML forms (webpage/docs/configuration/webrtc.md and authentication.md).
ICE_YAML = """
webrtc:
  iceservers:
    frontend:
      - urls: "turn:127.0.0.1:3478"
        username: "neko"
        credential: "s3cret-turn"
      - urls: [ "stun:127.0.0.1:3478", "stun:127.0.0.2:3478" ]
    backend:
      - urls: [ "stun:127.0.0.1:3478", "stun:127.0.0.2:3478" ]
"""
USERS_YAML = """
member:
  provider: object
  object:
    users:
    - username: "admin"
      password: "admin"
      profile:
        name: "Administrator"
        is_admin: true
        can_see_inactive_cursors: true
    - username: "user"
      password: 1234
"""
USERS = [
    {
        "username": "admin",
        "password": "admin",
        "profile": {"name": "Administrator", "is_admin": True, "can_see_inactive_cursors": True},
    },
    {"username": "user", "password": "1234"},
]


def from_file(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> object:
    path = tmp_path / "neko.yaml"
    path.write_text(text)
    return load_config(environ or {}, str(path))


def refusal(environ: dict[str, str], file: str | None = None) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config(environ, file)
    return str(refused.value)


# --- parsed values ---


def test_ice_servers_from_nekos_yaml_lists_and_from_json_in_the_environment_are_the_same(tmp_path: Path) -> None:
    in_file = from_file(tmp_path, ICE_YAML).webrtc.iceservers  # type: ignore[attr-defined]
    in_env = load_config(
        {
            "NEKO_WEBRTC_ICESERVERS_FRONTEND": json.dumps([TURN, STUN]),
            "NEKO_WEBRTC_ICESERVERS_BACKEND": json.dumps([STUN]),
        }
    ).webrtc.iceservers
    assert in_file == in_env
    assert (in_env.frontend, in_env.backend) == (PARSED_SERVERS, PARSED_SERVERS[1:])


def test_ice_servers_as_json_text_in_the_file_are_read_too(tmp_path: Path) -> None:
    text = f"webrtc:\n  iceservers:\n    frontend: '{json.dumps([TURN])}'\n"
    assert from_file(tmp_path, text).webrtc.iceservers.frontend == PARSED_SERVERS[:1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NEKO_WEBRTC_ICESERVERS_FRONTEND": "[{"}, "NEKO_WEBRTC_ICESERVERS_FRONTEND: invalid JSON ("),
        (
            {"NEKO_WEBRTC_ICESERVERS_BACKEND": json.dumps([{"username": "u", "credential": "s3cret-turn"}])},
            "NEKO_WEBRTC_ICESERVERS_BACKEND: expected a list of {urls, username?, credential?}",
        ),
        (
            {"NEKO_WEBRTC_ICESERVERS_BACKEND": json.dumps({"urls": "stun:x", "credential": "s3cret-turn"})},
            "NEKO_WEBRTC_ICESERVERS_BACKEND: expected a list of {urls, username?, credential?}",
        ),
    ],
)
def test_bad_ice_servers_name_the_key_and_never_show_a_credential(environ: dict[str, str], message: str) -> None:
    said = refusal(environ)
    assert said.startswith(message)
    assert "s3cret-turn" not in said


def test_bad_ice_servers_in_the_file_name_the_dotted_key(tmp_path: Path) -> None:
    path = tmp_path / "neko.yaml"
    path.write_text("webrtc:\n  iceservers:\n    frontend:\n      - username: x\n")
    assert refusal({}, str(path)).startswith("webrtc.iceservers.frontend: expected a list of {urls,")


def test_object_users_from_nekos_yaml_list_and_from_json_in_the_environment_are_the_same(tmp_path: Path) -> None:
    in_file = from_file(tmp_path, USERS_YAML).member  # type: ignore[attr-defined]
    in_env = load_config({"NEKO_MEMBER_PROVIDER": "object", "NEKO_MEMBER_OBJECT_USERS": json.dumps(USERS)}).member
    assert in_file == in_env
    admin, user = in_env.object.users
    assert (admin.username, admin.password, admin.profile.is_admin, admin.profile.name) == (
        "admin",
        "admin",
        True,
        "Administrator",
    )
    assert (user.username, user.password, user.profile) == ("user", "1234", MemberProfile())


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ("[{", "invalid JSON ("),
        ('{"admin": "x"}', "expected a list of users"),
        ('[{"password": "hunter2-object"}]', "every user needs a non-empty username"),
        ('[{"username": "bob", "password": ["hunter2-object"]}]', "user 'bob' needs a password"),
        ('[{"username": "bob", "password": "hunter2-object", "profile": [1]}]', "user 'bob': the profile is not"),
    ],
)
def test_bad_object_users_name_the_key_and_never_show_a_password(users: str, message: str) -> None:
    said = refusal({"NEKO_MEMBER_OBJECT_USERS": users})
    assert said.startswith(f"NEKO_MEMBER_OBJECT_USERS: {message}")
    assert "hunter2-object" not in said


def test_screen_size_port_range_frame_rate_and_choices_come_out_parsed(tmp_path: Path) -> None:
    config = load_config(
        {
            "NEKO_DESKTOP_SCREEN": "1920x1080@60",
            "NEKO_WEBRTC_EPR": "59000-59100",
            "NEKO_CAPTURE_SCREENCAST_RATE": "5/2",
            "NEKO_LOG_LEVEL": "DEBUG",
            "NEKO_CAPTURE_VIDEO_CODEC": "H264",
        }
    )
    assert config.desktop.screen == ScreenSize(1920, 1080, 60)
    assert config.webrtc.epr == PortRange(59000, 59100) and tuple(config.webrtc.epr) == (59000, 59100)
    assert (config.capture.screencast.rate, config.capture.screencast.fps) == (Fraction(5, 2), 2.5)
    assert (config.log.level, config.capture.video.codec) == ("debug", "h264")
    written = from_file(tmp_path, "capture:\n  screencast:\n    rate: 10\nwebrtc:\n  epr: 59000-59010\n")
    assert written.capture.screencast.rate == 10  # type: ignore[attr-defined]
    assert written.webrtc.epr == PortRange(59000, 59010)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NEKO_CAPTURE_SCREENCAST_RATE": "10/0"}, "NEKO_CAPTURE_SCREENCAST_RATE: expected frames per second"),
        ({"NEKO_CAPTURE_SCREENCAST_RATE": "61"}, "NEKO_CAPTURE_SCREENCAST_RATE: expected frames per second"),
        ({"NEKO_DESKTOP_XSERVER": "wayland"}, "NEKO_DESKTOP_XSERVER: expected auto, xorg or xvfb, got 'wayland'"),
        ({"NEKO_CAPTURE_BROADCAST_PRESET": "fastest"}, "NEKO_CAPTURE_BROADCAST_PRESET: expected ultrafast, super"),
        ({"NEKO_SERVER_WORKERS": "0"}, "NEKO_SERVER_WORKERS: expected a number above 0, got 0"),
        ({"NEKO_MEMBER_ARGON2_TIME_COST": "0"}, "NEKO_MEMBER_ARGON2_TIME_COST: expected a number above 0"),
        ({"NEKO_SERVER_STATIC": "/no/such/folder"}, "NEKO_SERVER_STATIC: expected a folder that exists"),
        ({"NEKO_SERVER_CERT": "/no/cert.pem"}, "NEKO_SERVER_CERT: expected a file this process can read"),
        ({"NEKO_LOG_TIME": "rfc822"}, "NEKO_LOG_TIME: expected iso, unix, unixms or unixmicro, got 'rfc822'"),
    ],
)
def test_values_that_cannot_work_are_refused_naming_the_key(environ: dict[str, str], message: str) -> None:
    assert refusal(environ).startswith(message)


# --- keys that depend on others ---


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NEKO_MEMBER_PROVIDER": "postgres"}, "NEKO_MEMBER_POSTGRES_URL: required by the postgres member provider"),
        ({"NEKO_MEMBER_PROVIDER": "file"}, "NEKO_MEMBER_FILE_PATH: required by the file member provider"),
        (
            {"NEKO_SESSION_STORE": "redis", "NEKO_SESSION_FILE": "/tmp/sessions.db"},
            "NEKO_SESSION_FILE: not used with session.store redis",
        ),
        (
            {"NEKO_SERVER_WORKERS": "2", "NEKO_DESKTOP_ENABLED": "false"},
            "NEKO_SERVER_WORKERS: 2 workers need a shared session store; set NEKO_SESSION_STORE=redis",
        ),
        (
            {"NEKO_CAPTURE_VIDEO_IDS": "main,hd"},
            "NEKO_CAPTURE_VIDEO_IDS: 'hd' has no entry in capture.video.pipelines",
        ),
        # Neko serves plain HTTP with only one of them; here start-up stops.
        ({"NEKO_SERVER_KEY": __file__}, "NEKO_SERVER_CERT: TLS needs both server.cert and server.key"),
        ({"NEKO_SERVER_CERT": __file__}, "NEKO_SERVER_CERT: TLS needs both server.cert and server.key"),
    ],
)
def test_keys_that_need_others_are_checked_when_the_configuration_is_read(
    environ: dict[str, str], message: str
) -> None:
    assert refusal(environ).startswith(message)


def test_the_operators_server_and_log_keys_come_out_as_written(tmp_path: Path) -> None:
    text = (
        f"debug: true\nserver:\n  static: {tmp_path}\n  cert: {__file__}\n  key: {__file__}\n"
        f"log:\n  dir: {tmp_path}/logs\n  time: unixms\n  nocolor: true\n"
    )
    config = from_file(tmp_path, text)
    server, log = config.server, config.log  # type: ignore[attr-defined]
    assert (server.static, server.cert, server.key) == (str(tmp_path), __file__, __file__)
    assert (log.dir, log.time, log.nocolor, config.debug) == (f"{tmp_path}/logs", "unixms", True, True)  # type: ignore[attr-defined]
    defaults = load_config({})
    assert (defaults.server.static, defaults.server.cert, defaults.log.dir, defaults.debug) == ("", "", "", False)


def test_a_key_that_needs_others_is_named_as_it_was_written(tmp_path: Path) -> None:
    path = tmp_path / "neko.yaml"
    path.write_text("session:\n  store: redis\n  file: /tmp/sessions.db\n")
    assert refusal({}, str(path)).startswith("session.file: not used with session.store redis")
    assert load_config({"NEKO_MEMBER_PROVIDER": "postgres", "NEKO_MEMBER_POSTGRES_URL": "postgresql://x/y"})


# --- where a value comes from ---


def test_an_option_wins_over_the_environment_which_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "neko.yaml"
    path.write_text("log:\n  level: warning\n")
    assert load_config({}, str(path)).log.level == "warning"
    assert load_config({"NEKO_LOG_LEVEL": "error"}, str(path)).log.level == "error"
    assert load_config({"NEKO_LOG_LEVEL": "error"}, str(path), {"log.level": "debug"}).log.level == "debug"


def test_a_bad_option_is_named_as_the_option() -> None:
    assert refusal_with_flags({"server.workers": "many"}) == "--workers: expected a whole number, got 'many'"


def refusal_with_flags(flags: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as refused:
        load_config({}, None, flags)
    return str(refused.value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("70000", "expected a TCP port from 0 to 65535, got 70000"),
        ("-1", "expected a TCP port from 0 to 65535, got -1"),
        ("tcp", "expected a whole number, got 'tcp'"),
    ],
)
def test_a_tcpmux_port_out_of_range_stops_start_up_in_one_line(
    value: str, why: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEKO_WEBRTC_TCPMUX", value)
    assert cli.main(["serve"]) == 2
    assert capsys.readouterr().err == f"nekoapi: configuration error: NEKO_WEBRTC_TCPMUX: {why}\n"


def test_udpmux_and_tcpmux_take_nekos_documented_pair_of_one_port_number() -> None:
    config = load_config({"NEKO_WEBRTC_UDPMUX": "59000", "NEKO_WEBRTC_TCPMUX": "59000"})
    assert (config.webrtc.udpmux, config.webrtc.tcpmux) == (59000, 59000)
    assert load_config({}).webrtc.tcpmux == 0  # off, as in Neko
