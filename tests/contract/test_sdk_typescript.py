"""A TypeScript client (openapi-typescript types + openapi-fetch) generated from spec/openapi.yaml.

The npm tools are pinned by tests/sdk/ts/package-lock.json and installed on first
use into tests/sdk/ts/node_modules (gitignored, kept between runs). Without node
or the npm registry the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nekoapi.web.spec import SPEC_PATH
from tests.support.ci import unavailable
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD
from tests.support.live import LiveServer

TOOLS = Path(__file__).parents[1] / "sdk" / "ts"
NODE_MODULES = TOOLS / "node_modules"
STAMP = NODE_MODULES / ".installed"


def run(command: list[str], cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **env}, check=False
    )


@pytest.fixture(scope="session")
def npm_tools() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed for the TypeScript client round trip")
    lock = TOOLS / "package-lock.json"
    if not STAMP.exists() or STAMP.stat().st_mtime < lock.stat().st_mtime:
        installed = run(["npm", "ci", "--no-audit", "--no-fund"], TOOLS, timeout=300)
        if installed.returncode != 0:
            if run(["npm", "ping"], TOOLS, timeout=30).returncode != 0:
                unavailable("the npm registry is unreachable")
            pytest.fail("npm ci failed:\n" + installed.stdout + installed.stderr)
        STAMP.touch()
    return NODE_MODULES / ".bin"


@pytest.fixture
def project(npm_tools: Path, tmp_path: Path) -> Path:
    """A throw-away TypeScript project: the round-trip test, and types generated from the spec."""
    for name in ("roundtrip.test.ts", "tsconfig.json"):
        shutil.copy(TOOLS / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)
    generated = run([str(npm_tools / "openapi-typescript"), str(SPEC_PATH), "-o", "schema.d.ts"], tmp_path)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "export interface paths" in (tmp_path / "schema.d.ts").read_text()
    return tmp_path


def test_generated_typescript_client_type_checks_and_round_trips(project: Path, server: LiveServer) -> None:
    tsc = str(project / "node_modules" / ".bin" / "tsc")
    checked = run([tsc, "--noEmit", "-p", "."], project)
    assert checked.returncode == 0, "type-check failed:\n" + checked.stdout + checked.stderr
    built = run([tsc, "-p", "."], project)
    assert built.returncode == 0, built.stdout + built.stderr
    result = run(
        ["node", "--test", "out/roundtrip.test.js"],
        project,
        ROUNDTRIP_BASE_URL=server.http_url,
        ROUNDTRIP_ADMIN_PASSWORD=ADMIN_PASSWORD,
        ROUNDTRIP_USER_PASSWORD=USER_PASSWORD,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 1" in result.stdout and "# fail 0" in result.stdout, result.stdout
