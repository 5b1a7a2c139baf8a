"""What the browser nekoapi starts is given: managed policies (in a mount namespace of its own, never
the system's folder) and unpacked extensions; bad ones stop start-up with one line."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError

from nekoapi.desktop.xserver import XServer
from tests.support.patience import START

from .cdp_support import agent, browser_room, login, shows

pytestmark = pytest.mark.desktop

BLUE = (30, 60, 220)
SYSTEM_POLICIES = Path("/etc/chromium/policies/managed")


@contextlib.contextmanager
def start_page_server() -> Iterator[str]:
    """A local page (white) for the browser's start-up policy; the extension paints it."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><title>start</title><body style='background:#fff'>start page</body>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/start"
    finally:
        server.shutdown()
        server.server_close()


def tiny_extension(folder: Path) -> Path:
    """An unpacked MV3 extension whose content script marks and paints every page."""
    folder.mkdir()
    manifest = {
        "manifest_version": 3,
        "name": "nekoapi test",
        "version": "1.0",
        "content_scripts": [{"matches": ["<all_urls>"], "js": ["mark.js"], "run_at": "document_end"}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    script = "document.documentElement.dataset.nekoExtension = 'loaded';"
    script += "document.body.style.background = 'rgb({},{},{})';".format(*BLUE)
    (folder / "mark.js").write_text(script)
    return folder


async def test_a_policy_and_an_extension_take_effect_in_the_desktops_chromium(
    x_server: XServer, tmp_path: Path
) -> None:
    before = sorted(SYSTEM_POLICIES.glob("*")) if SYSTEM_POLICIES.exists() else []
    extension = tiny_extension(tmp_path / "extension")
    with start_page_server() as start_url:
        policies = {
            "RestoreOnStartup": 4,  # open these pages at start
            "RestoreOnStartupURLs": [start_url],
            "HomepageLocation": start_url,
            "URLBlocklist": ["blocked.invalid"],
        }
        env = {
            "NEKO_DESKTOP_BROWSER_POLICIES": json.dumps(policies),
            "NEKO_DESKTOP_BROWSER_EXTENSIONS": str(extension),
        }
        with browser_room(x_server, tmp_path / "profile", **env) as room:
            bot = login(room, "bot")
            # The start-up policy opened the page, and the extension painted it: on the screen.
            await shows(room, bot["token"], BLUE, timeout=60)
            async with agent(room, bot["token"]) as browser:
                pages = browser.contexts[0].pages
                start = next(p for p in pages if p.url.startswith(start_url))
                assert await start.evaluate("document.documentElement.dataset.nekoExtension") == "loaded"
                with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_ADMINISTRATOR"):
                    await start.goto("http://blocked.invalid/")
    # The policies lived in the browser's own mount namespace: the system's folder is as it was.
    assert (sorted(SYSTEM_POLICIES.glob("*")) if SYSTEM_POLICIES.exists() else []) == before


def serve_refusal(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEKO_")}
    clean.update(NEKO_MEMBER_PROVIDER="multiuser", NEKO_DESKTOP_ENABLED="false", **env)
    return subprocess.run(
        [sys.executable, "-m", "nekoapi", "serve"], env=clean, capture_output=True, text=True, timeout=START
    )


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("NEKO_DESKTOP_BROWSER_EXTENSIONS", "/nonexistent/extension", "/nonexistent/extension is not a folder"),
        ("NEKO_DESKTOP_BROWSER_EXTENSIONS", "/tmp", "/tmp has no readable manifest.json"),
        ("NEKO_DESKTOP_BROWSER_POLICIES", '{"homepage location": "x"}', "is not a Chromium policy name"),
        ("NEKO_DESKTOP_BROWSER_POLICIES", "[1, 2]", "expected a JSON object"),
        ("NEKO_DESKTOP_BROWSER_POLICIES", "{not json", "invalid JSON"),
    ],
)
def test_a_bad_policy_or_extension_stops_start_up_with_one_line(key: str, value: str, says: str) -> None:
    result = serve_refusal(**{key: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nekoapi: configuration error: {key}: ") and says in lines[0]
