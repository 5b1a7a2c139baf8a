"""Run by tests/contract/test_sdk_python.py in a subprocess, with the generated ``neko_client`` importable.

Uses only the generated client: log in, list sessions, disconnect one, log out.
"""

from __future__ import annotations

import os

from neko_client import AuthenticatedClient, Client
from neko_client.api.session import login, logout, whoami
from neko_client.api.sessions import session_disconnect, session_get, sessions_get
from neko_client.models import ErrorMessage, SessionData, SessionLoginRequest, SessionLoginResponse

BASE_URL = os.environ["ROUNDTRIP_BASE_URL"]


def log_in(username: str, password: str) -> SessionLoginResponse:
    with Client(base_url=BASE_URL, raise_on_unexpected_status=True) as client:
        reply = login.sync(client=client, body=SessionLoginRequest(username=username, password=password))
    assert isinstance(reply, SessionLoginResponse), reply
    assert isinstance(reply.token, str) and reply.token, "cookies are off, so the token is in the body"
    return reply


def as_session(token: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=BASE_URL, token=token, raise_on_unexpected_status=True)


def main() -> None:
    admin = log_in("py-admin", os.environ["ROUNDTRIP_ADMIN_PASSWORD"])
    user = log_in("py-user", os.environ["ROUNDTRIP_USER_PASSWORD"])
    assert admin.profile.is_admin is True and user.profile.is_admin is False

    with as_session(user.token) as client:  # type: ignore[arg-type]
        sessions = sessions_get.sync(client=client)
    assert isinstance(sessions, list) and all(isinstance(s, SessionData) for s in sessions), sessions
    assert sorted(s.id for s in sessions) == sorted([admin.id, user.id])
    assert [s.state.is_connected for s in sessions] == [False, False]

    with as_session(admin.token) as client:  # type: ignore[arg-type]
        done = session_disconnect.sync_detailed(user.id, client=client)
        assert done.status_code == 204, done
        missing = session_get.sync(session_id="no-such-session", client=client)
    assert isinstance(missing, ErrorMessage) and missing.code == 404, missing

    with as_session(user.token) as client:  # type: ignore[arg-type]
        refused = session_disconnect.sync(admin.id, client=client)
        assert isinstance(refused, ErrorMessage) and refused.code == 403, refused
        me = whoami.sync(client=client)
        assert isinstance(me, SessionData) and me.id == user.id, "a disconnected session keeps its token"
        out = logout.sync(client=client)
        assert out is True, out
        gone = whoami.sync(client=client)
    assert isinstance(gone, ErrorMessage) and gone.code == 401, gone
    print("python round trip: ok")


if __name__ == "__main__":
    main()
