"""``nekoapi members add|list|passwd|remove|set-profile``: the configured member store, without a server.

Changes made here reach a running server's store at once, but not the
sessions already logged in: those keep their profile until they log in again.
Passwords are read from a prompt or from stdin, never from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any, TextIO

from ..config import Config
from ..errors import NekoError, StoreUnusable
from ..models import ADMIN_PROFILE
from . import create_provider
from .manager import MemberManager

OK, FAILED = 0, 1


class CommandError(Exception):
    """A mistake in what the user typed; the message says which."""


def add_member_commands(commands: Any) -> None:
    members = commands.add_parser(
        "members",
        help="manage the stored members (directly on the configured store)",
        description="Manage the members of the store that NEKO_MEMBER_PROVIDER selects. "
        "Exit status: 0 done, 1 refused (unknown or duplicate member, empty password...), "
        "2 bad usage or configuration.",
    )
    members.add_argument("--config", metavar="FILE", help="YAML configuration file (default: $NEKO_CONFIG)")
    sub = members.add_subparsers(dest="members_command", required=True)
    add = sub.add_parser("add", help="create a member")
    add.add_argument("username")
    add.add_argument("--admin", action="store_true", help="give the member an administrator profile")
    add.add_argument("--profile", type=_json_object, default={}, help="profile fields as a JSON object")
    _password_option(add)
    listing = sub.add_parser("list", help="list the members")
    listing.add_argument("--json", action="store_true", help="print a JSON array of {id, profile}")
    passwd = sub.add_parser("passwd", help="set a member's password")
    passwd.add_argument("username")
    _password_option(passwd)
    remove = sub.add_parser("remove", help="remove a member")
    remove.add_argument("username")
    profile = sub.add_parser("set-profile", help="change profile fields (the others keep their value)")
    profile.add_argument("username")
    profile.add_argument("profile", type=_json_object, help="fields as a JSON object, e.g. '{\"can_host\": false}'")


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of a prompt",
    )


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def run_members(args: argparse.Namespace, config: Config, out: TextIO | None = None) -> int:
    try:
        password = _read_password(args) if args.members_command in ("add", "passwd") else ""
        return asyncio.run(_run(args, config, password, out or sys.stdout))
    except CommandError as exc:
        print(f"nekoapi: {exc}", file=sys.stderr)
        return FAILED
    except StoreUnusable as exc:  # the configured store itself, as `nekoapi serve` reports it
        print(f"nekoapi: cannot start: {exc.text}", file=sys.stderr)
        return 2
    except NekoError as exc:
        print(f"nekoapi: {exc.text}", file=sys.stderr)
        return FAILED


async def _run(args: argparse.Namespace, config: Config, password: str, out: TextIO) -> int:
    # The sessions of a running server live in that process; here there are none to update.
    members = MemberManager(create_provider(config.member), sessions=None)
    await members.start()
    try:
        await _COMMANDS[args.members_command](members, args, password, out)
    finally:
        await members.stop()
    return OK


async def _add(members: MemberManager, args: argparse.Namespace, password: str, out: TextIO) -> None:
    profile = {**(ADMIN_PROFILE.to_dict() if args.admin else {}), **args.profile}
    member_id, _ = await members.create(args.username, password, profile)
    print(f"created member {member_id!r}", file=out)


async def _list(members: MemberManager, args: argparse.Namespace, _password: str, out: TextIO) -> None:
    found = await members.list()
    if args.json:
        print(json.dumps([{"id": i, "profile": p.to_dict()} for i, p in found], indent=2), file=out)
        return
    for member_id, profile in found:
        role = "admin" if profile.is_admin else "user"
        login = "" if profile.can_login else " (login disabled)"
        print(f"{member_id}\t{role}\t{profile.name}{login}", file=out)


async def _passwd(members: MemberManager, args: argparse.Namespace, password: str, out: TextIO) -> None:
    await members.update_password(args.username, password)
    print(f"password of {args.username!r} changed", file=out)


async def _remove(members: MemberManager, args: argparse.Namespace, _password: str, out: TextIO) -> None:
    await members.remove(args.username)
    print(f"removed member {args.username!r}", file=out)


async def _set_profile(members: MemberManager, args: argparse.Namespace, _password: str, out: TextIO) -> None:
    await members.update_profile(args.username, args.profile)
    print(f"profile of {args.username!r} changed", file=out)


_COMMANDS = {"add": _add, "list": _list, "passwd": _passwd, "remove": _remove, "set-profile": _set_profile}


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise CommandError("the passwords do not match; nothing was changed")
    return first
