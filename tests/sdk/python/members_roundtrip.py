"""Run by tests/contract/test_sdk_python.py when the spec has the members operations.

Against a server whose member provider stores members: create one through the
generated client, read its profile, log in as it, delete it.
"""

from __future__ import annotations

import os

from neko_client import AuthenticatedClient, Client
from neko_client.api.members import members_create, members_get_profile, members_remove
from neko_client.api.session import login
from neko_client.models import ErrorMessage, MemberCreate, MemberData, MemberProfile, SessionLoginRequest

BASE_URL = os.environ["ROUNDTRIP_BASE_URL"]
USERNAME = "py-member"
PASSWORD = "py-member-secret"


def log_in(username: str, password: str) -> str:
    with Client(base_url=BASE_URL, raise_on_unexpected_status=True) as client:
        reply = login.sync(client=client, body=SessionLoginRequest(username=username, password=password))
    assert reply is not None and not isinstance(reply, ErrorMessage), reply
    assert isinstance(reply.token, str) and reply.token
    return reply.token


def main() -> None:
    token = log_in(os.environ["ROUNDTRIP_ADMIN_USERNAME"], os.environ["ROUNDTRIP_ADMIN_PASSWORD"])
    with AuthenticatedClient(base_url=BASE_URL, token=token, raise_on_unexpected_status=True) as admin:
        created = members_create.sync(client=admin, body=MemberCreate(username=USERNAME, password=PASSWORD))
        assert isinstance(created, MemberData) and created.id == USERNAME, created
        assert created.profile.is_admin is False
        profile = members_get_profile.sync(USERNAME, client=admin)
        assert isinstance(profile, MemberProfile) and profile.can_login is True, profile
        assert log_in(USERNAME, PASSWORD), "the new member can log in"
        removed = members_remove.sync_detailed(USERNAME, client=admin)
        assert removed.status_code == 204, removed
        gone = members_get_profile.sync(USERNAME, client=admin)
    assert isinstance(gone, ErrorMessage) and gone.code == 404, gone
    print("python members round trip: ok")


if __name__ == "__main__":
    main()
