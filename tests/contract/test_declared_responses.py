"""The suite-wide guard in tests/support/declared.py notices what the spec does not declare."""

from __future__ import annotations

import httpx

from tests.support.declared import undeclared


def response(method: str, path: str, status: int, content_type: str | None = "application/json") -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return httpx.Response(status, headers=headers, request=httpx.Request(method, f"http://testserver{path}"))


def test_a_declared_response_passes() -> None:
    assert undeclared(response("POST", "/api/sessions/abc/disconnect", 404)) is None
    assert undeclared(response("POST", "/api/sessions/abc/disconnect", 204, None)) is None


def test_an_undeclared_status_is_named() -> None:
    problem = undeclared(response("POST", "/api/sessions/abc/disconnect", 409))
    assert problem == "sessionDisconnect answered 409, which its spec entry does not declare"


def test_a_wrong_content_type_is_named() -> None:
    problem = undeclared(response("GET", "/api/whoami", 200, "text/html"))
    assert problem is not None and "content type 'text/html'" in problem
    assert undeclared(response("POST", "/api/sessions/abc/disconnect", 204)) is not None  # 204 declares no body


def test_paths_that_are_no_operation_are_left_alone() -> None:
    assert undeclared(response("GET", "/api/ui/", 200, "text/html")) is None
    assert undeclared(response("PUT", "/api/whoami", 405)) is None


def test_under_a_path_prefix_operations_are_found_below_it() -> None:
    assert undeclared(response("POST", "/neko/api/sessions/abc/disconnect", 409), "/neko/") is not None
    assert undeclared(response("GET", "/api/whoami", 404), "/neko/") is None  # outside the prefix: no operation
