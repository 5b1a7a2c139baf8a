"""``member.*``: where members live and the providers' settings (Neko's ``internal/config/member.go``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..models import MemberProfile, is_guest_id, reserved_member_id, reserved_reason
from . import v2
from .declare import Invalid, Legacy, key, section
from .values import json_list, json_object, positive, text

_V2_PASSWORD = "also sets `member.provider: multiuser`; empty: Neko's default"
Provider = Literal["sqlite", "postgres", "file", "object", "multiuser", "noauth"]


def _required_by(provider: str, value: Callable[[MemberConfig], str]) -> Callable[[Any], str | None]:
    def check(config: Any) -> str | None:
        if config.member.provider == provider and not value(config.member):
            return f"required by the {provider} member provider"
        return None

    return check


@dataclass(frozen=True)
class ObjectUser:
    username: str
    password: str
    profile: MemberProfile


def object_users(raw: Any) -> tuple[ObjectUser, ...]:
    """Neko's ``member.object.users``: a YAML list, or JSON text, of {username, password, profile}."""
    return tuple(_object_user(item) for item in json_list(raw, "a list of users"))


def _object_user(item: Any) -> ObjectUser:
    if not (isinstance(item, dict) and isinstance(item.get("username"), str) and item["username"]):
        raise Invalid("every user needs a non-empty username")
    username = item["username"]
    try:
        password = text(item.get("password"))
    except Invalid:
        raise Invalid(f"user {username!r} needs a password") from None
    if reserved_member_id(username):
        if is_guest_id(username):
            raise Invalid(f"{username!r}: {reserved_reason(username)}")
        raise Invalid(f"the username {username!r} is reserved for the API session")
    try:
        profile = json_object(item.get("profile") or {})
    except Invalid as exc:
        raise Invalid(f"user {username!r}: the profile is not a mapping") from exc
    return ObjectUser(username, password, MemberProfile.from_dict(profile))


@dataclass(frozen=True)
class MultiuserConfig:
    # v2's passwords select the multiuser provider; empty means Neko's default password.
    admin_password: str = key(
        "admin",
        "multiuser: the password that logs in as an administrator",
        secret=True,
        legacy=(
            Legacy(
                "password_admin",
                convert=v2.or_default("admin"),
                implies={"member.provider": "multiuser"},
                note=_V2_PASSWORD,
            ),
        ),
    )
    user_password: str = key(
        "neko",
        "multiuser: the password that logs in as a user",
        secret=True,
        legacy=(
            Legacy(
                "password", convert=v2.or_default("neko"), implies={"member.provider": "multiuser"}, note=_V2_PASSWORD
            ),
        ),
    )
    admin_profile: dict[str, Any] = key({}, "multiuser: JSON merged onto the administrator profile")
    user_profile: dict[str, Any] = key({}, "multiuser: JSON merged onto the user profile")


@dataclass(frozen=True)
class SqliteMemberConfig:
    path: str = key("data/nekoapi.db", "sqlite: database file; missing directories are created")
    admin_password: str = key(
        "", "sqlite: password of the first-start `admin` (empty: random, printed once)", secret=True
    )


@dataclass(frozen=True)
class PostgresMemberConfig:
    url: str = key(
        "",
        "postgres: database URL, e.g. postgresql://user@127.0.0.1:5432/neko",
        secret=True,  # it may carry the database password
        cross_check=_required_by("postgres", lambda member: member.postgres.url),
    )
    admin_password: str = key(
        "", "postgres: password of the first-start `admin` (empty: random, printed once)", secret=True
    )
    # Lets several servers (or test runs) share one database without sharing members.
    table: str = key("neko_members", "postgres: table name, so several servers can share one database (ours)")


@dataclass(frozen=True)
class FileMemberConfig:
    path: str = key(
        "", "file: Neko's members JSON file", cross_check=_required_by("file", lambda member: member.file.path)
    )
    hash: bool = key(True, "file: entries hold base64(SHA-256) passwords, not plain text")


@dataclass(frozen=True)
class ObjectMemberConfig:
    users: tuple[ObjectUser, ...] = key(
        (),
        "object: list of {username, password, profile} (a YAML list, or JSON)",
        parse=object_users,
        secret=True,
    )


@dataclass(frozen=True)
class MemberConfig:
    provider: Provider = key("sqlite", "where members live: sqlite, postgres, file, object, multiuser, noauth")
    multiuser: MultiuserConfig = section(MultiuserConfig)
    sqlite: SqliteMemberConfig = section(SqliteMemberConfig)
    postgres: PostgresMemberConfig = section(PostgresMemberConfig)
    file: FileMemberConfig = section(FileMemberConfig)
    object: ObjectMemberConfig = section(ObjectMemberConfig)
    # RFC 9106's "low memory" defaults; stored hashes carry their own parameters, so lowering
    # these never breaks a login.
    argon2_time_cost: int = key(3, "argon2id passes for new password hashes (ours)", check=positive)
    argon2_memory_kib: int = key(65536, "argon2id memory for new password hashes, in KiB (ours)", check=positive)
