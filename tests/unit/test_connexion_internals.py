"""The fast path builds on Connexion 3.3.0's private parts: another version fails loudly, here and at start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import connexion.context
import pytest
from connexion.decorators.parameter import AsyncParameterDecorator

from nekoapi.web import internals
from tests.support.patience import START

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_connexion_is_the_one_the_fast_path_was_built_on() -> None:
    installed = internals.installed_connexion()
    assert installed == internals.PINNED_CONNEXION, (
        f"Connexion {installed} is installed, but nekoapi/web/fastpath.py, routing.py and stack.py use "
        f"private parts of Connexion {internals.PINNED_CONNEXION}: re-check every name in "
        f"nekoapi/web/internals.py against the new version before changing the pin"
    )


def test_pyproject_pins_that_version() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (connexion,) = [d for d in dependencies if re.match(r"connexion\b", d)]
    assert connexion.endswith(f"=={internals.PINNED_CONNEXION}"), connexion


def test_every_private_name_the_fast_path_uses_is_there() -> None:
    assert internals.missing() == []
    internals.require()


def test_a_vanished_module_name_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(connexion.context, "_operation")
    with pytest.raises(internals.ConnexionInternalsChanged) as refused:
        internals.require()
    message = str(refused.value)
    assert "connexion.context:_operation" in message and "connexion==3.3.0" in message


def test_an_instance_attribute_no_longer_set_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    def init(self: AsyncParameterDecorator, **kwargs: object) -> None:
        self.framework = kwargs.get("framework")  # and no sanitize_fn any more

    for klass in AsyncParameterDecorator.__mro__[:-1]:  # wherever Connexion sets it now
        if "__init__" in vars(klass):
            monkeypatch.setattr(klass, "__init__", init)
    with pytest.raises(internals.ConnexionInternalsChanged, match=r"AsyncParameterDecorator\(\)\.sanitize_fn"):
        internals.require()


def test_the_server_refuses_to_start_when_a_private_name_is_gone() -> None:
    # Simulates a Connexion without connexion.context._scope, then starts as `nekoapi serve` would.
    script = "import connexion.context as c; del c._scope\nfrom nekoapi.cli import main\nmain(['serve'])\n"
    env = {k: v for k, v in os.environ.items() if k != "NEKO_TEST_STORE"}  # the suite's own switch, not a key
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=START, env=env)
    assert result.returncode != 0
    assert "ConnexionInternalsChanged" in result.stderr and "connexion.context:_scope" in result.stderr
