"""Schemathesis over Neko v2's paths with the administrators' password in ``pwd``, so that generated
requests get past the password to the operations (the whole-spec run sends random passwords: 403)."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis.generation.case import Case

from tests.contract.test_schemathesis import RELAXED, Target, load_schema
from tests.support.factory import ADMIN_PASSWORD

schema = load_schema()


@schema.hook
def map_query(context: Any, query: Any) -> Any:
    return {**(query or {}), "pwd": ADMIN_PASSWORD}


@pytest.fixture
def target() -> Target:
    return Target.start()


# The screenshot needs a real desktop (tests/desktop/test_legacy_screenshot.py); here it would be 503.
@schema.include(tag="legacy").exclude(operation_id="legacyScreenshot").parametrize()
@RELAXED
def test_the_v2_paths_conform_with_a_right_password(case: Case, target: Target) -> None:
    case.call_and_validate(**target.call_kwargs())
