"""The media build on private parts of aiortc 1.16.0 and aioice 0.13.0: listed in one module, checked at
import, and another version fails loudly naming what moved."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import aioice.ice
import pytest
from aiortc.rtcicetransport import RTCIceTransport

from nekoapi.media import rtc_internals
from tests.support.patience import START

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT / "nekoapi" / "media"


def test_the_installed_versions_are_the_ones_the_media_were_built_on() -> None:
    assert rtc_internals.installed() == rtc_internals.PINNED, (
        "re-check every name in nekoapi/media/rtc_internals.py against the installed versions before changing the pins"
    )


def test_pyproject_pins_those_versions_exactly() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name, version in rtc_internals.PINNED.items():
        (pin,) = [d for d in dependencies if re.match(rf"{name}\b", d)]
        assert pin == f"{name}=={version}", pin


def test_every_private_name_the_media_use_is_there() -> None:
    assert rtc_internals.missing() == []
    rtc_internals.require()


def test_a_vanished_module_level_name_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aioice.ice, "server_reflexive_candidate")
    with pytest.raises(rtc_internals.RtcInternalsChanged) as refused:
        rtc_internals.require()
    message = str(refused.value)
    assert "aioice.ice:server_reflexive_candidate" in message
    assert "aiortc==1.16.0 and aioice==0.13.0" in message


def test_a_renamed_private_method_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RTCIceTransport, "_RTCIceTransport__setState")
    with pytest.raises(rtc_internals.RtcInternalsChanged, match=r"RTCIceTransport\._RTCIceTransport__setState"):
        rtc_internals.require()


def test_an_instance_attribute_no_longer_set_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    original = aioice.ice.Connection.__init__

    def init(self: aioice.ice.Connection, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        # (as if a new version kept its sockets elsewhere)

    monkeypatch.setattr(aioice.ice.Connection, "__init__", init)
    with pytest.raises(rtc_internals.RtcInternalsChanged) as refused:
        rtc_internals.require()
    assert r"aioice.ice:Connection()._protocols" in str(refused.value)


def test_the_server_refuses_to_start_when_a_private_name_is_gone() -> None:
    # Simulates an aioice whose Connection no longer has the check-list completion it rewinds.
    script = (
        "import aioice.ice as i; del i.Connection._check_list_maybe_complete\n"
        "from nekoapi.cli import main\nmain(['serve'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NEKO_TEST_STORE"}  # the suite's own switch, not a key
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=START, env=env)
    assert result.returncode != 0
    assert "RtcInternalsChanged" in result.stderr
    assert "aioice.ice:Connection._check_list_maybe_complete" in result.stderr


def private_attributes(path: Path) -> dict[str, int]:
    """``x._name`` in a module, except a class's own (``self._name`` / ``cls._name`` in its methods)."""
    found: dict[str, int] = {}

    class Visitor(ast.NodeVisitor):
        in_class = 0

        def visit_ClassDef(self, node: ast.ClassDef) -> None:
            self.in_class += 1
            self.generic_visit(node)
            self.in_class -= 1

        def visit_Attribute(self, node: ast.Attribute) -> None:
            name = node.attr
            dunder = name.startswith("__") and name.endswith("__")
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and self.in_class
            if name.startswith("_") and not dunder and not own:
                found.setdefault(name, node.lineno)
            self.generic_visit(node)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_no_other_media_module_touches_a_private_name() -> None:
    others = {p.name: private_attributes(p) for p in MEDIA.glob("*.py") if p.name != "rtc_internals.py"}
    assert {name: found for name, found in others.items() if found} == {}, (
        "reach aiortc's and aioice's private names through nekoapi/media/rtc_internals.py"
    )


def test_every_private_name_touched_in_the_guarded_module_is_checked() -> None:
    listed = {entry.rpartition(".")[2] for entry in rtc_internals.REQUIRED}
    touched = private_attributes(MEDIA / "rtc_internals.py")
    assert {name: line for name, line in touched.items() if name not in listed} == {}, (
        "list it in rtc_internals.REQUIRED"
    )
