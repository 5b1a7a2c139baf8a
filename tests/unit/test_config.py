"""Configuration: Neko's key names, typed values, and errors that name the key."""

from __future__ import annotations

import pytest

from nekoapi.config import Config, ConfigError, env_names, keys, load_config


def test_defaults_are_nekos_where_neko_has_one() -> None:
    config = load_config({})
    assert config == Config()
    assert config.server.bind == "127.0.0.1:8080"
    assert config.session.merciful_reconnect is True
    assert config.session.heartbeat_interval == 10
    assert config.session.cookie.name == "NEKO_SESSION"
    assert config.session.cookie.expiration == 24 * 3600
    assert config.member.provider == "sqlite"  # ours; Neko's default is multiuser (docs/compatibility.md)
    assert config.member.multiuser.admin_password == "admin"


def test_nested_keys_come_from_neko_env_names() -> None:
    config = load_config(
        {
            "NEKO_SERVER_BIND": "0.0.0.0:9000",
            "NEKO_SESSION_COOKIE_ENABLED": "true",
            "NEKO_SESSION_COOKIE_EXPIRATION": "1h30m",
            "NEKO_SESSION_HEARTBEAT_INTERVAL": "3",
            "NEKO_SESSION_API_TOKEN": "x" * 40,
            "NEKO_SERVER_CORS": "https://a.example, https://b.example",
            "NEKO_MEMBER_MULTIUSER_USER_PROFILE": '{"can_host": false}',
        }
    )
    assert (config.server.host, config.server.port) == ("0.0.0.0", 9000)
    assert config.session.cookie.enabled is True
    assert config.session.cookie.expiration == 5400
    assert config.session.heartbeat_interval == 3
    assert config.session.api_token == "x" * 40
    assert config.server.cors == ("https://a.example", "https://b.example")
    assert config.member.multiuser.user_profile == {"can_host": False}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("NEKO_SESSION_LOCKED_LOGINS", "maybe", "NEKO_SESSION_LOCKED_LOGINS: expected true or false"),
        ("NEKO_SESSION_HEARTBEAT_INTERVAL", "ten", "NEKO_SESSION_HEARTBEAT_INTERVAL: expected a whole number"),
        ("NEKO_SESSION_COOKIE_EXPIRATION", "soon", "NEKO_SESSION_COOKIE_EXPIRATION: expected seconds"),
        ("NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE", "[1]", "NEKO_MEMBER_MULTIUSER_ADMIN_PROFILE: expected a JSON object"),
        ("NEKO_SESSION_HEARTBEAT_INTERVAL", "86401", "NEKO_SESSION_HEARTBEAT_INTERVAL: expected seconds from 1 to"),
        ("NEKO_SESSION_NO_SUCH_KEY", "1", "NEKO_SESSION_NO_SUCH_KEY: unknown configuration key"),
    ],
)
def test_invalid_values_name_their_key(key: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config({key: value})
    assert str(error.value).startswith(expected)


def test_other_environment_variables_are_ignored() -> None:
    assert load_config({"PATH": "/bin", "HOME": "/root"}) == Config()


def test_env_names_lists_every_key() -> None:
    names = env_names()
    assert "NEKO_SESSION_COOKIE_HTTP_ONLY" in names
    assert "NEKO_MEMBER_MULTIUSER_USER_PASSWORD" in names
    assert all(name.startswith("NEKO_") for name in names)


def test_a_short_api_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as error:
        load_config({"NEKO_SESSION_API_TOKEN": "hunter2"})
    assert str(error.value) == "NEKO_SESSION_API_TOKEN: must be at least 32 characters"


def test_broadcast_and_screencast_are_capture_keys_as_in_neko() -> None:
    config = load_config(
        {"NEKO_CAPTURE_BROADCAST_URL": "rtmp://127.0.0.1/live/x", "NEKO_CAPTURE_SCREENCAST_ENABLED": "true"}
    )
    assert config.capture.broadcast.url == "rtmp://127.0.0.1/live/x"
    assert config.capture.screencast.enabled is True
    assert "NEKO_WEBRTC_BROADCAST_URL" not in env_names()


def test_every_key_is_declared_with_its_meaning() -> None:
    for key in keys():
        assert key.doc.strip(), key.dotted
    assert len(env_names()) == len(keys())


def test_a_bad_value_is_reported_before_an_unknown_name() -> None:
    # The environment of a test run or a container often holds NEKO_* names of other tools.
    with pytest.raises(ConfigError, match=r"^NEKO_SESSION_HEARTBEAT_INTERVAL: expected a whole number"):
        load_config({"NEKO_SESSION_HEARTBEAT_INTERVAL": "often", "NEKO_AAA_OTHER_TOOL": "1"})


def test_recordings_keys_read_their_limits_and_refuse_a_container_that_cannot_hold_the_codec() -> None:
    recording = load_config({"NEKO_CAPTURE_RECORDING_MAX_AGE": "72h", "NEKO_CAPTURE_RECORDING_MAX_BYTES": "1000"})
    assert (recording.capture.recording.max_age, recording.capture.recording.max_bytes) == (259200.0, 1000)
    assert load_config({"NEKO_CAPTURE_VIDEO_CODEC": "h264"}).capture.recording.container == ""
    with pytest.raises(ConfigError, match=r"^NEKO_CAPTURE_RECORDING_CONTAINER: mp4 does not hold vp8 video"):
        load_config({"NEKO_CAPTURE_RECORDING_CONTAINER": "mp4"})
    with pytest.raises(ConfigError, match=r"^NEKO_CAPTURE_RECORDING_MAX_BYTES: "):
        load_config({"NEKO_CAPTURE_RECORDING_MAX_BYTES": "-1"})
