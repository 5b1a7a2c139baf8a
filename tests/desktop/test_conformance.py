"""Schemathesis over the screen and keyboard operations, against a server driving the real X display.

The whole-spec run (tests/contract/test_schemathesis.py) uses apps without a desktop, where these
operations can only answer 503; here every answer they can give is generated and validated.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.generation.case import Case

from nekoapi.desktop.keyboard import LockState
from nekoapi.desktop.xserver import XServer
from nekoapi.web.app import create_app
from nekoapi.web.docs import SPEC_JSON_PATH

from ..contract.test_schemathesis import RELAXED, _config
from ..support.factory import ADMIN_PASSWORD, make_config
from ..support.live import live_server
from .conftest import desktop_config

pytestmark = pytest.mark.desktop

schema = schemathesis.openapi.from_asgi(SPEC_JSON_PATH, create_app(make_config()), config=_config())


@pytest.fixture
def desktop_target(x_server: XServer) -> Iterator[dict[str, Any]]:
    with live_server(desktop_config(x_server)) as server:
        login = httpx.post(f"{server.http_url}/api/login", json={"username": "c", "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        httpx.post(f"{server.http_url}/api/room/control/request", headers=headers)  # host: the POSTs run too
        yield {"base_url": server.http_url, "headers": headers}
    # Whatever the examples set, the next test finds the display as the fixture started it.
    subprocess.run(["setxkbmap", "-display", str(x_server.display), "-layout", "us"], check=False)
    locks = LockState(str(x_server.display))
    locks.set(dict.fromkeys(("shift", "capslock", "control", "alt", "numlock", "meta", "super", "altgr"), False))
    locks.close()


@schema.include(tag=["screen", "keyboard"]).parametrize()
@RELAXED
def test_desktop_operations_conform(case: Case, desktop_target: dict[str, Any]) -> None:
    case.call_and_validate(**desktop_target)
