"""The contract itself: valid OpenAPI, every operation wired to a handler, errors declared."""

from __future__ import annotations

import copy
import importlib
import inspect

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification
from openapi_spec_validator import validate

from nekoapi.web.spec import _raw_spec, operations, validate_each_spec_once

SEED_SCHEMES = [{"BearerAuth": []}, {"CookieAuth": []}, {"TokenAuth": []}]


def test_spec_is_valid_openapi() -> None:
    validate(_raw_spec())


def test_every_operation_has_an_async_handler_in_its_tag_module() -> None:
    for info in operations(_raw_spec()).values():
        module = importlib.import_module(f"handlers.{info.tag}")
        handler = getattr(module, info.handler_name, None)
        assert handler is not None, f"{info.operation_id}: handlers.{info.tag}.{info.handler_name} is missing"
        assert inspect.iscoroutinefunction(handler), info.operation_id


def test_seed_operation_matches_nekos_contract() -> None:
    seed = operations(_raw_spec())["sessionDisconnect"]
    assert (seed.method, seed.path) == ("post", "/api/sessions/{sessionId}/disconnect")
    assert seed.operation["security"] == SEED_SCHEMES
    assert set(seed.operation["responses"]) >= {"204", "401", "403", "404"}
    assert "content" not in seed.operation["responses"]["204"]


def test_secured_operations_declare_every_scheme_and_their_auth_errors() -> None:
    for info in operations(_raw_spec()).values():
        responses = info.operation["responses"]
        assert {"414", "431", "500"} <= set(responses), info.operation_id
        if info.access == "public":
            assert info.operation["security"] == [], info.operation_id
            continue
        if info.tag == "legacy":  # Neko v2's paths: a password, every refusal 403 (tests/legacy)
            assert info.operation["security"] == [{"V2Password": []}], info.operation_id
            assert {"403", "404", "429"} <= set(responses), info.operation_id
            continue
        assert info.operation["security"] == SEED_SCHEMES, info.operation_id
        assert {"401", "403"} <= set(responses), info.operation_id


def test_operations_with_a_body_declare_400_and_415() -> None:
    for info in operations(_raw_spec()).values():
        if "requestBody" in info.operation:
            assert {"400", "415"} <= set(info.operation["responses"]), info.operation_id


def test_connexion_still_refuses_a_broken_spec_after_a_good_one_was_checked() -> None:
    # Each spec content is checked once per process (web/spec.py); a broken one must stay broken.
    validate_each_spec_once()
    good = copy.deepcopy(_raw_spec())
    Specification.from_dict(good)
    broken = copy.deepcopy(good)
    broken["paths"]["/api/sessions"]["get"]["responses"] = "not a responses object"
    for _ in range(2):
        with pytest.raises(InvalidSpecification):
            Specification.from_dict(copy.deepcopy(broken))
    Specification.from_dict(copy.deepcopy(good))  # and the good one still builds
