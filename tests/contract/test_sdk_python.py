"""A Python client generated from spec/openapi.yaml by openapi-python-client completes a round trip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nekoapi.web.spec import SPEC_PATH
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer

ROUNDTRIP = Path(__file__).parents[1] / "sdk" / "python" / "roundtrip.py"
BIN = Path(sys.executable).parent


def generate(into: Path) -> Path:
    package = into / "neko_client"
    # The generator formats its output with ruff, which it looks for on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(BIN / "openapi-python-client"), "generate", "--path", str(SPEC_PATH), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(package)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    # Warnings mean parts of the spec were skipped: as much a failure as an error.
    assert result.returncode == 0 and "Warning" not in output, output
    return package


def test_generated_python_client_round_trip(server: LiveServer, tmp_path: Path) -> None:
    package = generate(tmp_path)
    assert (package / "api" / "sessions" / "session_disconnect.py").is_file()
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "ROUNDTRIP_BASE_URL": server.http_url,
        "ROUNDTRIP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ROUNDTRIP_USER_PASSWORD": USER_PASSWORD,
    }
    result = subprocess.run(
        [sys.executable, str(ROUNDTRIP)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "python round trip: ok" in result.stdout
