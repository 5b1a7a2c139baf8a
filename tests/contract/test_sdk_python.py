"""A Python client generated from spec/openapi.yaml by openapi-python-client completes a round trip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nekoapi.web.spec import SPEC_PATH
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server
from tests.support.spec_samples import OPERATIONS

SCRIPTS = Path(__file__).parents[1] / "sdk" / "python"
ROUNDTRIP = SCRIPTS / "roundtrip.py"
MEMBERS_ROUNDTRIP = SCRIPTS / "members_roundtrip.py"
BIN = Path(sys.executable).parent


def generate(into: Path) -> Path:
    package = into / "neko_client"
    # The generator formats its output with ruff, which it looks for on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(BIN / "openapi-python-client"), "generate", "--path", str(SPEC_PATH), "--meta", "none"]
    command += ["--config", str(SCRIPTS / "generator.yaml")]  # image replies as bytes
    result = subprocess.run(
        [*command, "--output-path", str(package)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    # Warnings mean parts of the spec were skipped: as much a failure as an error.
    assert result.returncode == 0 and "Warning" not in output, output
    return package


def run_script(script: Path, package_dir: Path, base_url: str, **env: str) -> str:
    environment = {
        **os.environ,
        "PYTHONPATH": str(package_dir),
        "ROUNDTRIP_BASE_URL": base_url,
        "ROUNDTRIP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ROUNDTRIP_USER_PASSWORD": USER_PASSWORD,
        **env,
    }
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=environment, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_generated_python_client_round_trip(server: LiveServer, tmp_path: Path) -> None:
    package = generate(tmp_path)
    assert (package / "api" / "sessions" / "session_disconnect.py").is_file()
    assert "python round trip: ok" in run_script(ROUNDTRIP, tmp_path, server.http_url)


if "membersCreate" in OPERATIONS:  # defined once the members operations are in the spec

    def test_generated_python_client_creates_and_deletes_a_member(tmp_path: Path) -> None:
        generate(tmp_path)
        # A provider that stores members; its first administrator is "admin".
        with live_server(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as server:
            output = run_script(MEMBERS_ROUNDTRIP, tmp_path, server.http_url, ROUNDTRIP_ADMIN_USERNAME="admin")
        assert "python members round trip: ok" in output
