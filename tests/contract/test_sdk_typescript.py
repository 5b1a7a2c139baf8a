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
from tests.support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config
from tests.support.live import LiveServer, live_server
from tests.support.spec_samples import OPERATIONS

TOOLS = Path(__file__).parents[1] / "sdk" / "ts"
NODE_MODULES = TOOLS / "node_modules"
STAMP = NODE_MODULES / ".installed"
# The member round trip compiles only against a spec that has the members operations.
SOURCES = ["client.ts", "roundtrip.test.ts", *(["members.test.ts"] if "membersCreate" in OPERATIONS else [])]


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
    for name in [*SOURCES, "tsconfig.json"]:
        shutil.copy(TOOLS / name, tmp_path / name)
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    (tmp_path / "node_modules").symlink_to(NODE_MODULES)
    generated = run([str(npm_tools / "openapi-typescript"), str(SPEC_PATH), "-o", "schema.d.ts"], tmp_path)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "export interface paths" in (tmp_path / "schema.d.ts").read_text()
    return tmp_path


def build(project: Path) -> None:
    """Type-check strictly (a failure here is a spec/client mismatch), then emit JavaScript."""
    tsc = str(project / "node_modules" / ".bin" / "tsc")
    checked = run([tsc, "--noEmit", "-p", "."], project)
    assert checked.returncode == 0, "type-check failed:\n" + checked.stdout + checked.stderr
    built = run([tsc, "-p", "."], project)
    assert built.returncode == 0, built.stdout + built.stderr


def node_test(project: Path, script: str, base_url: str, **env: str) -> None:
    result = run(
        ["node", "--test", f"out/{script}"],
        project,
        ROUNDTRIP_BASE_URL=base_url,
        ROUNDTRIP_ADMIN_PASSWORD=ADMIN_PASSWORD,
        ROUNDTRIP_USER_PASSWORD=USER_PASSWORD,
        **env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 1" in result.stdout and "# fail 0" in result.stdout, result.stdout


def test_generated_typescript_client_type_checks_and_round_trips(project: Path, server: LiveServer) -> None:
    build(project)
    node_test(project, "roundtrip.test.js", server.http_url)


if "membersCreate" in OPERATIONS:  # defined once the members operations are in the spec

    def test_generated_typescript_client_creates_and_deletes_a_member(project: Path) -> None:
        build(project)
        # A provider that stores members; its first administrator is "admin".
        with live_server(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as server:
            node_test(project, "members.test.js", server.http_url, ROUNDTRIP_ADMIN_USERNAME="admin")
