"""House rules every operation of the spec must follow; a new operation that breaks one fails here.

These catch gaps before any request is sent: an operation that forgot to
declare the 413 its body can cause, or a response without a JSON schema.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from nekoapi.web.spec import SPEC_PATH
from tests.support.spec_samples import OPERATIONS, SPEC, declared, is_v2, parameters, resolve

NAMES = sorted(OPERATIONS)
ERROR_MESSAGE = {"$ref": "#/components/schemas/ErrorMessage"}


def test_the_spec_is_valid_openapi() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openapi_spec_validator", str(SPEC_PATH)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_operation_is_documented(name: str) -> None:
    op = OPERATIONS[name].operation
    assert op.get("summary", "").strip(), f"{name}: summary"
    assert op.get("description", "").strip(), f"{name}: description"
    known_tags = {tag["name"] for tag in SPEC["tags"]}
    assert op["tags"] and set(op["tags"]) <= known_tags, f"{name}: tags {op['tags']} not in {known_tags}"


@pytest.mark.parametrize("name", NAMES)
def test_operation_declares_the_errors_it_can_cause(name: str) -> None:
    info = OPERATIONS[name]
    required = {500}
    if "security" in info.operation:
        # Per-operation security: generators such as openapi-python-client ignore the root one.
        required |= {401, 403} if info.operation["security"] else set()
        if is_v2(info):
            required = {500, 403, 404, 429}  # a refused password is 403 (as in Neko), legacy: false 404
    else:
        pytest.fail(f"{name}: declare `security` on the operation (`[]` for public ones)")
    if info.access == "admin":
        required.add(403)
    if "requestBody" in info.operation:
        required |= {400, 413, 415}
    if any(p["in"] == "path" for p in parameters(info)):
        required.add(404)
    assert required <= declared(info), f"{name} misses {sorted(required - declared(info))}"


@pytest.mark.parametrize("name", NAMES)
def test_every_response_has_a_precise_json_body_or_none(name: str) -> None:
    for code, response in OPERATIONS[name].operation["responses"].items():
        response = resolve(response)
        content = response.get("content")
        if code in ("101", "204"):  # 101: the WebSocket of the CDP endpoint
            assert content is None, f"{name} {code}: a {code} has no body"
            continue
        assert content, f"{name} {code}: no content declared"
        if int(code) >= 400:
            assert content == {"application/json": {"schema": ERROR_MESSAGE}}, f"{name} {code}: not ErrorMessage"


def _objects(node: object, where: str) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append((where, node))
        for key, value in node.items():
            found += _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _objects(value, f"{where}/{index}")
    return found


def test_every_object_schema_decides_additional_properties() -> None:
    objects = _objects(SPEC["components"]["schemas"], "#")
    undecided = [where for where, node in objects if "additionalProperties" not in node]
    assert undecided == [], f"set additionalProperties deliberately on: {undecided}"


def test_every_link_names_an_existing_operation_and_parameter() -> None:
    for name, info in OPERATIONS.items():
        for code, response in info.operation["responses"].items():
            for link_name, link in resolve(response).get("links", {}).items():
                target = OPERATIONS.get(link["operationId"])
                assert target is not None, f"{name} {code} link {link_name}: no operation {link['operationId']}"
                names = {p["name"] for p in parameters(target)}
                assert set(link.get("parameters", {})) <= names, f"{name} {code} link {link_name}"


def test_the_links_stateful_testers_need_exist() -> None:
    links = {
        (name, link["operationId"])
        for name, info in OPERATIONS.items()
        for response in info.operation["responses"].values()
        for link in resolve(response).get("links", {}).values()
    }
    expected = {("login", "whoami"), ("login", "sessionGet"), ("sessionsGet", "sessionDisconnect")}
    if "membersCreate" in OPERATIONS:
        expected |= {("membersCreate", "membersGetProfile"), ("membersCreate", "membersRemove")}
    assert expected <= links, f"missing links: {sorted(expected - links)}"


def test_operation_ids_are_unique_and_camel_case() -> None:
    ids = [
        op["operationId"]
        for item in SPEC["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))
    assert all(i[0].islower() and "_" not in i for i in ids), ids
