"""The WebSocket's own-origin check compares the scheme too: an https page is not an http server's own."""

from __future__ import annotations

import pytest
import websockets

from tests.support.client import ApiClient
from tests.support.factory import make_config
from tests.support.live import EventClient, LiveServer, live_server


@pytest.mark.parametrize("scheme", ["https", "ws", "ftp"])
async def test_the_same_host_under_another_scheme_is_refused(server: LiveServer, http: ApiClient, scheme: str) -> None:
    user = await http.login_user()
    page = f"{scheme}://127.0.0.1:{server.port}"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            server.ws_url(), additional_headers={"Cookie": f"NEKO_SESSION={user.token}"}, origin=page
        )
    assert refused.value.response.status_code == 403


async def test_behind_a_tls_proxy_the_https_page_is_our_own() -> None:
    """With ``server.proxy``, X-Forwarded-Proto says which scheme the pages are served with."""
    with live_server(make_config(NEKO_SERVER_PROXY="true")) as server:
        async with ApiClient(base_url=server.http_url) as http:
            user = await http.login_user()
        page = f"https://127.0.0.1:{server.port}"
        forwarded = {"X-Forwarded-Proto": "https"}
        client = await EventClient.connect(server.ws_url(user.token), origin=page, additional_headers=forwarded)
        assert (await client.wait_for("system/init"))["session_id"] == user.id
        await client.close()
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(
                server.ws_url(user.token), origin=f"http://127.0.0.1:{server.port}", additional_headers=forwarded
            )
