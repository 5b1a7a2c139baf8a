"""``Allow`` on 405 answers, from the spec: every method the path declares, not just the first route's."""

from __future__ import annotations

import re
from typing import Any

from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from .errors import json_error
from .spec import HTTP_METHODS


def path_pattern(template: str) -> re.Pattern[str]:
    """``/api/sessions/{sessionId}`` -> a pattern matching ``/api/sessions/<one segment>``."""
    # \Z, not $: "$" also matches before a trailing newline.
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + r"\Z")


def allowed_methods(spec: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """(path pattern, Allow value) for every path of the spec."""
    table = []
    # Fixed paths before templated ones, as the router matches them.
    for template, item in sorted(spec["paths"].items(), key=lambda entry: "{" in entry[0]):
        methods = [m.upper() for m in HTTP_METHODS if m in item]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")  # Starlette answers HEAD wherever GET is routed
        table.append((path_pattern(template), ", ".join(methods)))
    return table


def method_not_allowed_handler(spec: dict[str, Any]) -> Any:
    table = allowed_methods(spec)

    async def on_method_not_allowed(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        path = request.scope["path"]
        allow = next((value for pattern, value in table if pattern.match(path)), None)
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if allow is not None:
            headers["Allow"] = allow
        return json_error(405, "method not allowed", headers)

    return on_method_not_allowed
