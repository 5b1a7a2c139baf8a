"""A password sent with the wrong JSON type is refused without being echoed or logged.

Every field the spec marks as secret (``format: password`` or ``writeOnly``) counts;
the message still says which field and which rule failed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from jsonschema import Draft4Validator

from nekoapi.web.bodies import error_message, secret_names
from nekoapi.web.spec import load_spec
from tests.support.client import ApiClient, api_client
from tests.support.factory import ADMIN_PASSWORD, make_config

SECRET = 918273645
SECRET_TEXT = "hunter2-correct-horse"

LOGIN_VARIANTS: dict[str, Any] = {
    "number": {"username": "admin", "password": SECRET},
    "array": {"username": "admin", "password": [SECRET_TEXT]},
    "object": {"username": "admin", "password": {"p": SECRET_TEXT}},
    "body as an array": [{"username": "admin", "password": SECRET_TEXT}],
    "body as a string": SECRET_TEXT,
}


def _leaks(text: str) -> bool:
    return str(SECRET) in text or SECRET_TEXT in text


@pytest.mark.parametrize("body", LOGIN_VARIANTS.values(), ids=LOGIN_VARIANTS.keys())
async def test_login_never_echoes_or_logs_a_mistyped_password(
    client: ApiClient, body: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post("/api/login", json=body)
    assert response.status_code == 400
    assert response.json()["message"]
    assert not _leaks(response.text), response.text
    assert not [r.getMessage() for r in caplog.records if _leaks(r.getMessage()) and not r.name.startswith("httpx")]


async def test_the_message_still_names_the_field_and_the_rule(client: ApiClient) -> None:
    response = await client.post("/api/login", json={"username": "admin", "password": SECRET})
    message = response.json()["message"]
    assert "password" in message and "string" in message, message


async def test_member_passwords_are_never_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with api_client(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as members:
        bearer = (await members.login("admin", ADMIN_PASSWORD)).bearer
        create = await members.post("/api/members", json={"username": "eve", "password": SECRET}, headers=bearer)
        change = await members.post("/api/members/admin/password", json={"password": [SECRET_TEXT]}, headers=bearer)
    for response in (create, change):
        assert response.status_code == 400
        assert not _leaks(response.text), response.text
    assert not [r.getMessage() for r in caplog.records if _leaks(r.getMessage()) and not r.name.startswith("httpx")]


def test_every_password_field_of_the_spec_is_marked_secret() -> None:
    """What the redaction keys on: a field named like a secret carries the spec's marker."""
    schemas = load_spec(make_config())["components"]["schemas"]
    for name, schema in schemas.items():
        for field, sub in (schema.get("properties") or {}).items():
            if field == "password":
                assert sub.get("format") == "password" and sub.get("writeOnly") is True, (name, field)


STREAM_KEY = "live_4711_s3cr3t"


@pytest.mark.parametrize(
    "body",
    [{"url": f"rtmp://live.example.com/app/{STREAM_KEY} x"}, {"url": [STREAM_KEY]}, f"rtmp://x/app/{STREAM_KEY}"],
    ids=["pattern", "type", "bare"],
)
async def test_a_stream_key_is_never_echoed(client: ApiClient, body: Any) -> None:
    """The broadcast's url carries the stream key: it is a secret field of its body."""
    admin = await client.login_admin()
    response = await client.post("/api/room/broadcast/start", json=body, headers=admin.bearer)
    assert response.status_code == 400
    assert STREAM_KEY not in response.text and response.json()["message"].startswith("a secret value is not valid")


async def test_a_field_that_is_no_secret_is_named_with_its_problem(client: ApiClient) -> None:
    """Another operation's secret field of the same name (the broadcast's url) makes nothing secret here."""
    admin = await client.login_admin()
    response = await client.post("/api/openinapp/openlink", json={"url": "https://example.com"}, headers=admin.bearer)
    assert response.status_code == 400
    assert response.json()["message"] == "Additional properties are not allowed ('url' was unexpected)"


async def test_a_body_holding_a_secret_still_names_what_else_is_wrong() -> None:
    """Only the secret's value is withheld: a missing field beside a password is named, the password is not shown."""
    async with api_client(make_config(NEKO_MEMBER_PROVIDER="sqlite")) as members:
        bearer = (await members.login("admin", ADMIN_PASSWORD)).bearer
        response = await members.post("/api/members", json={"password": SECRET_TEXT}, headers=bearer)
    assert response.status_code == 400
    assert response.json()["message"] == "'username' is a required property"
    assert not _leaks(response.text)


def test_a_message_echoing_a_value_that_holds_a_secret_is_redacted() -> None:
    """Nested: the failing value is not secret itself, but the message would show the password inside it."""
    schema = {
        "type": "object",
        "properties": {"login": {"$ref": "#/components/schemas/Login"}},
        "components": {
            "schemas": {
                "Login": {"type": "object", "maxProperties": 1, "properties": {"password": {"writeOnly": True}}},
                "Other": {"properties": {"token": {"format": "password"}}},  # not referred to: no secret here
            }
        },
    }
    secrets = secret_names(schema)
    assert secrets == {"password"}
    validator = Draft4Validator(schema)
    [echoing] = validator.iter_errors({"login": {"password": SECRET_TEXT, "x": 1}})
    assert error_message(echoing, secrets) == "a secret value is not valid (maxProperties: 1) - 'login'"
    [naming] = validator.iter_errors({"login": {"token": SECRET_TEXT, "x": 1}})
    assert SECRET_TEXT in error_message(naming, secrets)  # no secret field there: the message is whole
