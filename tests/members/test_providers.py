"""One contract for every storing provider (sqlite, postgres, file), and the refusals of the others."""

from __future__ import annotations

import json
import threading
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nekoapi import errors
from nekoapi.configkeys.member import Provider
from nekoapi.members import PROVIDERS, create_provider
from nekoapi.members.file import FileMemberProvider
from nekoapi.members.passwords import neko_sha256
from nekoapi.models import ADMIN_PROFILE, MemberProfile
from nekoapi.types import MemberProvider

from ..support.factory import make_config
from ..support.stores import STORES, store_env

ALICE = MemberProfile(name="Alice", can_host=False)


@pytest.fixture(params=STORES)
async def store_vars(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    async with store_env(request.param, tmp_path) as env:
        yield env


@pytest.fixture
async def provider(store_vars: dict[str, str]) -> AsyncIterator[MemberProvider]:
    """An opened provider with no members (the first-start administrator is removed)."""
    provider = create_provider(make_config(**store_vars).member)
    await provider.open()
    existing = [member_id for member_id, _ in await provider.select_all(0, 0)]
    if existing:
        await provider.delete(existing)
    yield provider
    await provider.close()


async def test_insert_then_select_and_authenticate(provider: MemberProvider) -> None:
    assert await provider.insert("alice", "pw", ALICE) == "alice"
    assert await provider.select("alice") == ALICE
    assert await provider.authenticate("alice", "pw") == ("alice", ALICE)


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong"), ("nobody", "pw"), ("alice", "")])
async def test_wrong_credentials_are_refused(provider: MemberProvider, username: str, password: str) -> None:
    await provider.insert("alice", "pw", ALICE)
    with pytest.raises(errors.InvalidCredentials):
        await provider.authenticate(username, password)


async def test_duplicate_insert_keeps_the_first(provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    with pytest.raises(errors.MemberAlreadyExists):
        await provider.insert("alice", "other", MemberProfile())
    assert await provider.authenticate("alice", "pw") == ("alice", ALICE)


async def test_select_all_orders_by_id_and_pages(provider: MemberProvider) -> None:
    for name in ("carol", "alice", "bob"):
        await provider.insert(name, "pw", MemberProfile(name=name))
    assert [m for m, _ in await provider.select_all(0, 0)] == ["alice", "bob", "carol"]
    assert [m for m, _ in await provider.select_all(1, 1)] == ["bob"]
    assert await provider.select_all(5, 3) == []


async def test_update_profiles_merges_and_returns_the_new_profiles(provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    await provider.insert("bob", "pw", MemberProfile(name="Bob"))
    updated = await provider.update_profiles(["alice", "bob"], {"is_admin": True})
    assert updated == {"alice": ALICE.merged({"is_admin": True}), "bob": MemberProfile(name="Bob", is_admin=True)}
    assert await provider.select("alice") == updated["alice"]


async def test_a_batch_with_an_unknown_id_changes_nothing(provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    with pytest.raises(errors.MemberNotFound):
        await provider.update_profiles(["alice", "ghost"], {"is_admin": True})
    with pytest.raises(errors.MemberNotFound):
        await provider.delete(["alice", "ghost"])
    assert await provider.select("alice") == ALICE


async def test_update_password(provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    await provider.update_password("alice", "new")
    assert (await provider.authenticate("alice", "new"))[0] == "alice"
    with pytest.raises(errors.InvalidCredentials):
        await provider.authenticate("alice", "pw")
    with pytest.raises(errors.MemberNotFound):
        await provider.update_password("ghost", "x")


async def test_delete(provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    await provider.insert("bob", "pw", ALICE)
    await provider.delete(["alice"])
    with pytest.raises(errors.MemberNotFound):
        await provider.select("alice")
    assert [m for m, _ in await provider.select_all(0, 0)] == ["bob"]


async def test_ping_answers_while_the_store_is_reachable(provider: MemberProvider) -> None:
    await provider.ping()  # type: ignore[attr-defined]


async def test_members_outlive_the_provider_instance(store_vars: dict[str, str], provider: MemberProvider) -> None:
    await provider.insert("alice", "pw", ALICE)
    await provider.update_profiles(["alice"], {"can_watch": False})
    reopened = create_provider(make_config(**store_vars).member)
    await reopened.open()
    try:
        assert await reopened.authenticate("alice", "pw") == ("alice", ALICE.merged({"can_watch": False}))
    finally:
        await reopened.close()


async def test_first_start_creates_admin_with_a_random_password_shown_once(tmp_path: Path) -> None:
    config = make_config(
        NEKO_MEMBER_PROVIDER="sqlite",
        NEKO_MEMBER_SQLITE_PATH=str(tmp_path / "deep" / "dir" / "members.db"),
        NEKO_MEMBER_SQLITE_ADMIN_PASSWORD="",
    )
    shown: list[str] = []
    for _ in range(2):
        provider = create_provider(config.member)
        provider._announce = shown.append  # type: ignore[attr-defined]
        await provider.open()
        await provider.close()
    assert len(shown) == 1
    password = shown[0].split("with password ")[1].split()[0]
    provider = create_provider(config.member)
    await provider.open()
    try:
        member_id, profile = await provider.authenticate("admin", password)
    finally:
        await provider.close()
    assert (member_id, profile.is_admin) == ("admin", True)
    assert (tmp_path / "deep" / "dir" / "members.db").stat().st_mode & 0o077 == 0  # hashes readable by us only


# --- Neko's file format ----------------------------------------------------


@pytest.mark.parametrize(("hashed", "stored"), [(True, neko_sha256("pw")), (False, "pw")])
async def test_file_reads_nekos_own_entries(tmp_path: Path, hashed: bool, stored: str) -> None:
    path = tmp_path / "members.json"
    path.write_text(json.dumps({"neko": {"password": stored, "profile": {"name": "Neko", "is_admin": True}}}))
    env = {"NEKO_MEMBER_FILE_HASH": str(hashed).lower()}
    provider = create_provider(make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path), **env).member)
    await provider.open()
    member_id, profile = await provider.authenticate("neko", "pw")
    assert (member_id, profile.name, profile.is_admin, profile.can_host) == ("neko", "Neko", True, True)
    with pytest.raises(errors.InvalidCredentials):
        await provider.authenticate("neko", stored if hashed else neko_sha256("pw"))


async def test_file_writes_argon2_and_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "members.json"
    path.write_text(json.dumps({"neko": {"password": neko_sha256("pw"), "profile": {"name": "Neko"}, "extra": 1}}))
    provider = create_provider(make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path)).member)
    await provider.open()
    await provider.insert("alice", "secret", ALICE)
    await provider.update_profiles(["neko"], {"can_watch": False})
    data = json.loads(path.read_text())
    assert data["alice"]["password"].startswith("$argon2id$")
    assert "secret" not in path.read_text()
    assert data["alice"]["profile"] == ALICE.to_dict()
    assert data["neko"]["password"] == neko_sha256("pw")  # untouched entries keep Neko's format and extra keys
    assert data["neko"]["extra"] == 1
    assert data["neko"]["profile"]["can_watch"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["members.json"]  # no temp file left behind


async def test_file_reads_run_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "members.json"
    path.write_text(json.dumps({"neko": {"password": "pw", "profile": {"name": "Neko"}}}))
    provider = create_provider(
        make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path), NEKO_MEMBER_FILE_HASH="false").member
    )
    await provider.open()
    readers: list[threading.Thread] = []
    read = FileMemberProvider._read

    def recording(self: FileMemberProvider) -> dict[str, Any]:
        readers.append(threading.current_thread())
        return read(self)

    monkeypatch.setattr(FileMemberProvider, "_read", recording)
    await provider.authenticate("neko", "pw")
    await provider.select("neko")
    await provider.select_all(0, 0)
    await provider.update_profiles(["neko"], {"can_watch": False})
    assert len(readers) == 4 and threading.main_thread() not in readers


async def test_a_members_file_spoilt_while_serving_answers_unavailable_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "members.json"
    path.write_text(json.dumps({"neko": {"password": "pw", "profile": {}}}))
    config = make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path), NEKO_MEMBER_FILE_HASH="false")
    provider = create_provider(config.member)
    await provider.open()
    path.write_text("{not json")
    with pytest.raises(errors.BackingStoreUnavailable, match=r"^member provider unreachable$"):
        await provider.authenticate("neko", "pw")
    path.write_text(json.dumps({"neko": {"password": "pw", "profile": {}}}))
    assert (await provider.authenticate("neko", "pw"))[0] == "neko"


@pytest.mark.parametrize(("content", "problem"), [("[1]", "is not a JSON object of members"), ("{", "cannot read")])
def test_a_members_file_that_cannot_be_used_stops_the_build_naming_the_key(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "members.json"
    path.write_text(content)
    with pytest.raises(errors.StoreUnusable, match=f"^member.file.path: .*{problem}"):
        create_provider(make_config(NEKO_MEMBER_PROVIDER="file", NEKO_MEMBER_FILE_PATH=str(path)).member)


def test_the_configuration_allows_exactly_the_providers_there_are() -> None:
    assert set(typing.get_args(Provider)) == set(PROVIDERS)


# --- providers that do not store members -----------------------------------

OBJECT_USERS = json.dumps([{"username": "neko", "password": "pw", "profile": ADMIN_PROFILE.to_dict()}])
REFUSING = {
    "multiuser": {"NEKO_MEMBER_PROVIDER": "multiuser"},
    "noauth": {"NEKO_MEMBER_PROVIDER": "noauth"},
    "object": {"NEKO_MEMBER_PROVIDER": "object", "NEKO_MEMBER_OBJECT_USERS": OBJECT_USERS},
}


async def test_object_reads_its_configured_users() -> None:
    provider = create_provider(make_config(**REFUSING["object"]).member)
    assert await provider.authenticate("neko", "pw") == ("neko", ADMIN_PROFILE)
    assert await provider.select_all(0, 0) == [("neko", ADMIN_PROFILE)]
    with pytest.raises(errors.InvalidCredentials):
        await provider.authenticate("neko", "PW")
    with pytest.raises(errors.MemberNotFound):
        await provider.select("ghost")


async def test_noauth_lets_anyone_in_as_an_administrator() -> None:
    provider = create_provider(make_config(**REFUSING["noauth"]).member)
    member_id, profile = await provider.authenticate("zoe", "anything")
    assert member_id.startswith("zoe-") and profile.is_admin and profile.name == "zoe"


async def test_can_automate_is_stored_and_off_by_default(provider: MemberProvider) -> None:
    await provider.insert("robot", "pw", MemberProfile(name="Robot"))
    assert (await provider.select("robot")).can_automate is False
    updated = await provider.update_profiles(["robot"], {"can_automate": True})
    assert updated["robot"].can_automate is True
    assert (await provider.select("robot")).can_automate is True
    assert (await provider.authenticate("robot", "pw"))[1].can_automate is True


async def test_can_automate_from_the_object_and_multiuser_json() -> None:
    users = json.dumps([{"username": "robot", "password": "pw", "profile": {"can_automate": True}}])
    objects = create_provider(make_config(NEKO_MEMBER_PROVIDER="object", NEKO_MEMBER_OBJECT_USERS=users).member)
    assert (await objects.authenticate("robot", "pw"))[1].can_automate is True
    config = make_config(NEKO_MEMBER_MULTIUSER_USER_PROFILE='{"can_automate": true}')
    multiuser = create_provider(config.member)
    assert (await multiuser.authenticate("robot", "user-secret"))[1].can_automate is True
    assert (await multiuser.authenticate("root", "admin-secret"))[1].can_automate is False  # not even admins
    noauth = create_provider(make_config(NEKO_MEMBER_PROVIDER="noauth").member)
    assert (await noauth.authenticate("anyone", "x"))[1].can_automate is False
