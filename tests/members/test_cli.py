"""``nekoapi members ...`` on the configured store: messages, exit codes, passwords never on argv."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest

from nekoapi.cli import main
from nekoapi.members import create_provider

from ..support.factory import make_config


@pytest.fixture
def store_env_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [n for n in os.environ if n.startswith("NEKO_")]:
        monkeypatch.delenv(name)
    env = {
        "NEKO_MEMBER_SQLITE_PATH": str(tmp_path / "members.db"),  # sqlite is the default provider
        "NEKO_MEMBER_SQLITE_ADMIN_PASSWORD": "first-admin",
        "NEKO_MEMBER_ARGON2_TIME_COST": "1",
        "NEKO_MEMBER_ARGON2_MEMORY_KIB": "1024",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


async def login(env: dict[str, str], username: str, password: str) -> str:
    provider = create_provider(make_config(NEKO_MEMBER_PROVIDER="sqlite", **env).member)
    await provider.open()
    try:
        member_id, profile = await provider.authenticate(username, password)
    finally:
        await provider.close()
    return f"{member_id}:{'admin' if profile.is_admin else 'user'}:{profile.can_host}"


def test_add_list_passwd_set_profile_remove(
    store_env_vars: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "members", "add", "bob", "--admin", "--password-stdin", stdin="bob pw\n") == 0
    assert "created member 'bob'" in capsys.readouterr().out
    assert run(monkeypatch, "members", "set-profile", "bob", '{"can_host": false}') == 0
    assert run(monkeypatch, "members", "passwd", "bob", "--password-stdin", stdin="newer\n") == 0
    assert run(monkeypatch, "members", "list") == 0
    out = capsys.readouterr().out
    assert "admin\tadmin\tadmin" in out and "bob\tadmin\tbob" in out
    assert "pw" not in out and "newer" not in out  # passwords are never echoed
    assert run(monkeypatch, "members", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["id"], m["profile"]["can_host"]) for m in listed] == [("admin", True), ("bob", False)]
    assert run(monkeypatch, "members", "remove", "bob") == 0
    assert "removed member 'bob'" in capsys.readouterr().out
    assert run(monkeypatch, "members", "list", "--json") == 0
    assert [m["id"] for m in json.loads(capsys.readouterr().out)] == ["admin"]


def test_the_server_sees_what_the_cli_wrote(store_env_vars: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(monkeypatch, "members", "add", "carol", "--password-stdin", stdin="c-pw\n") == 0
    assert asyncio.run(login(store_env_vars, "carol", "c-pw")) == "carol:user:True"
    assert asyncio.run(login(store_env_vars, "admin", "first-admin")) == "admin:admin:True"


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("members", "remove", "ghost"), "", "member not found: ghost"),
        (("members", "passwd", "ghost", "--password-stdin"), "x\n", "member not found: ghost"),
        (("members", "add", "admin", "--password-stdin"), "x\n", "member 'admin' already exists"),
        (("members", "add", "dave", "--password-stdin"), "\n", "password must not be empty"),
        (("members", "add", "dave"), "typed\n", "no terminal to ask for the password on"),
    ],
)
def test_refusals_exit_1_with_a_clear_message(
    store_env_vars: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    stdin: str,
    message: str,
) -> None:
    assert run(monkeypatch, *argv, stdin=stdin) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "typed" not in err


def test_prompted_passwords_must_match(
    store_env_vars: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["one", "two"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["members", "add", "erin"]) == 1
    assert "do not match" in capsys.readouterr().err
    assert main(["members", "list", "--json"]) == 0
    assert [m["id"] for m in json.loads(capsys.readouterr().out)] == ["admin"]


def test_providers_without_storage_and_bad_usage(
    store_env_vars: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEKO_MEMBER_PROVIDER", "multiuser")
    assert run(monkeypatch, "members", "list") == 1
    assert "the multiuser member provider cannot list members" in capsys.readouterr().err
    monkeypatch.setenv("NEKO_MEMBER_PROVIDER", "nope")
    assert run(monkeypatch, "members", "list") == 2
    assert "NEKO_MEMBER_PROVIDER: expected sqlite, postgres, file, object, multiuser or noauth, got 'nope'" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as usage:
        run(monkeypatch, "members", "set-profile", "bob", "[1]")
    assert usage.value.code == 2
