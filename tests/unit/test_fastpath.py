"""The prebuilt parameter validator (nekoapi/web/fastpath.py) decides exactly as Connexion's own."""

from __future__ import annotations

from typing import Any

import pytest
from connexion.exceptions import BadRequestProblem
from connexion.uri_parsing import OpenAPIURIParser
from connexion.validators import ParameterValidator

from nekoapi.web.fastpath import VALIDATORS

PARAMETERS = [{"name": "sessionId", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^s-"}}]


def _outcome(validator_class: Any, value: str) -> str | None:
    validator = validator_class(PARAMETERS, uri_parser=OpenAPIURIParser(PARAMETERS, {}))
    # Ours must take its short path (no request object), the one under test.
    assert getattr(validator, "_path_only", True)
    try:
        validator.validate({"type": "http", "path_params": {"sessionId": value}, "query_string": b"", "headers": []})
    except BadRequestProblem as problem:
        return str(problem.detail)
    return None


@pytest.mark.parametrize("value", ["s-1", "x-1", "", "s-\u00e9"])
def test_path_parameters_are_judged_as_connexion_judges_them(value: str) -> None:
    assert _outcome(VALIDATORS["parameter"], value) == _outcome(ParameterValidator, value)


def test_a_bad_path_parameter_is_refused() -> None:
    assert _outcome(VALIDATORS["parameter"], "x-1") is not None
