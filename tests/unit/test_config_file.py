"""Configuration from a YAML file in Neko's layout, with the environment on top."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nekoapi.config import Config, ConfigError, keys, load_config
from tests.support.patience import START

FILE = """
server:
  bind: 0.0.0.0:9000
  cors: [https://a.example]
  metrics: false
session:
  heartbeat_interval: 3
  api_token: 12345678901234567890123456789012
  cookie:
    enabled: true
    expiration: 1h
member:
  multiuser:
    user_profile:
      can_host: false
log:
  json: true
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "neko.yaml"
    path.write_text(text)
    return str(path)


def test_file_values_in_nekos_layout(tmp_path: Path) -> None:
    config = load_config({}, write(tmp_path, FILE))
    assert config.server.bind == "0.0.0.0:9000"
    assert config.server.cors == ("https://a.example",)
    assert config.server.metrics is False
    assert config.session.heartbeat_interval == 3
    assert config.session.api_token == "12345678901234567890123456789012"
    assert config.session.cookie.enabled is True
    assert config.session.cookie.expiration == 3600
    assert config.member.multiuser.user_profile == {"can_host": False}
    assert config.log.json is True
    assert config.session.merciful_reconnect is True  # untouched keys keep Neko's defaults


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    environ = {"NEKO_SESSION_HEARTBEAT_INTERVAL": "7", "NEKO_SERVER_METRICS": "true"}
    config = load_config(environ, write(tmp_path, FILE))
    assert config.session.heartbeat_interval == 7
    assert config.server.metrics is True
    assert config.server.bind == "0.0.0.0:9000"  # still from the file


def test_neko_config_names_the_file(tmp_path: Path) -> None:
    config = load_config({"NEKO_CONFIG": write(tmp_path, FILE)})
    assert config.server.port == 9000


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_config({}, write(tmp_path, "")) == Config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server:\n  metrics: maybe\n", "server.metrics: expected true or false"),
        ("server:\n  metrics: 1\n", "server.metrics: expected true or false"),
        ("session:\n  heartbeat_interval: often\n", "session.heartbeat_interval: expected a whole number"),
        ("session:\n  heartbeat_interval: true\n", "session.heartbeat_interval: expected a whole number"),
        ("session:\n  cookie:\n    expiration: soon\n", "session.cookie.expiration: expected seconds"),
        ("server:\n  cors: [1, 2]\n", "server.cors: expected a list of strings"),
        ("member:\n  multiuser:\n    admin_profile: [1]\n", "member.multiuser.admin_profile: expected a mapping"),
        ("session:\n  cookie: yes\n", "session.cookie: expected a section of keys"),
        ("session:\n  no_such_key: 1\n", "session.no_such_key: unknown configuration key"),
        ("sesion:\n  file: x\n", "sesion: unknown configuration key"),
        ("server:\n  bind: localhost\n", "server.bind: expected host:port"),
        ("server:\n  path_prefix: neko\n", "server.path_prefix: expected a path starting with /"),
        ("server:\n  batch_limit: 0\n", "server.batch_limit: expected a number above 0"),
        ("log:\n  level: loud\n", "log.level: expected debug, info, warning or error"),
        ("- just a list\n", "NEKO_CONFIG: "),
        ("server: [\n", "NEKO_CONFIG: "),
    ],
)
def test_invalid_file_values_name_their_dotted_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config({}, write(tmp_path, text))
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("NEKO_SERVER_BIND", "8080", "NEKO_SERVER_BIND: expected host:port"),
        ("NEKO_SERVER_PATH_PREFIX", "neko", "NEKO_SERVER_PATH_PREFIX: expected a path starting with /"),
        ("NEKO_SERVER_BATCH_LIMIT", "-1", "NEKO_SERVER_BATCH_LIMIT: expected a number above 0"),
        ("NEKO_LOG_JSON", "sometimes", "NEKO_LOG_JSON: expected true or false"),
        ("NEKO_LOG_LEVEL", "loud", "NEKO_LOG_LEVEL: expected debug, info, warning or error"),
    ],
)
def test_invalid_environment_values_name_their_env_key(key: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config({key: value})
    assert str(error.value).startswith(expected)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ConfigError) as error:
        load_config({"NEKO_CONFIG": "/no/such/neko.yaml"})
    assert str(error.value).startswith("NEKO_CONFIG: cannot read /no/such/neko.yaml")


def test_every_key_has_a_file_and_an_environment_name() -> None:
    found = {k.dotted: k.env for k in keys()}
    assert found["session.cookie.http_only"] == "NEKO_SESSION_COOKIE_HTTP_ONLY"
    assert found["log.json"] == "NEKO_LOG_JSON"
    assert len(found) == len(set(found.values()))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nekoapi", *args], capture_output=True, text=True, timeout=START, env=env
    )


def test_serve_help_lists_every_key_with_its_default() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for key in keys():
        assert any(line.split()[:2] == [key.dotted, key.env] for line in lines if line.strip()), key.dotted
    expected = ["session.heartbeat_interval", "NEKO_SESSION_HEARTBEAT_INTERVAL", "10"]
    assert any(line.split()[:3] == expected for line in lines)


def test_serve_refuses_a_bad_file_with_one_line(tmp_path: Path) -> None:
    result = run_cli("serve", "--config", write(tmp_path, "server:\n  proxy: perhaps\n"), env={"PATH": ""})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "nekoapi: configuration error: server.proxy: expected true or false, got 'perhaps'"
    ]


def test_serve_refuses_a_session_file_it_cannot_open(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {"PATH": "", "NEKO_MEMBER_PROVIDER": "multiuser", "NEKO_SESSION_FILE": str(blocker / "sessions.db")}
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # connexion may print an import-time warning first
    assert last.startswith(f"nekoapi: cannot start: session.file: cannot open {blocker}/sessions.db")


def test_serve_refuses_a_members_file_it_cannot_read_with_one_line(tmp_path: Path) -> None:
    members = tmp_path / "members.json"
    members.write_text("[1, 2]")
    env = {"PATH": "", "NEKO_MEMBER_PROVIDER": "file", "NEKO_MEMBER_FILE_PATH": str(members)}
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"nekoapi: cannot start: member.file.path: {members} is not a JSON object of members"
