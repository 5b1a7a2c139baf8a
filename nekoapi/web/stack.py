"""Connexion's middleware list, trimmed to what this server needs on each request.

Connexion's default list puts nine ASGI layers in front of every handler. Kept,
in Connexion's order: its two error layers, its router (grouped, see
routing.py), its security layer (with our access rule, see access.py) and its
request validation. Left out,
because they do nothing for an HTTP request here:

- ``SwaggerUIMiddleware``: web/docs.py serves the documents;
- ``ResponseValidationMiddleware`` unless responses are validated: without
  ``validate_responses`` its operations are the next app itself;
- ``LifespanMiddleware``: the app answers lifespan scopes itself (fastpath.py);
- ``ContextMiddleware``: the operation sets the same context variables (fastpath.py).
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from starlette.types import Receive, Scope, Send

from .access import GuardedSecurityMiddleware
from .routing import GroupedRoutingMiddleware


class _CachedValidationOperation(RequestValidationOperation):
    """Connexion's request validation with its per-operation objects built once.

    Connexion builds a URI parser and a parameter validator on every request; both
    depend only on the operation. Without a request body, its body half finds no
    media type to check and no schema: only the parameters are validated then.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operation = self._operation
        self._has_body = operation.is_request_body_defined
        uri_parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        # Nothing to look at: no parameter declared, and undeclared ones are allowed.
        self._checks_parameters = bool(operation.parameters) or self.strict_validation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._has_body:
            await super().__call__(_lower_media_type(scope), receive, send)
            return
        if self._checks_parameters:
            self._parameter_validator.validate(scope)
        await self.next_app(scope, receive, send)


def _lower_media_type(scope: Scope) -> Scope:
    """The scope with its Content-Type's media type in lower case (parameters kept as sent).

    Media types compare case-insensitively (RFC 9110), but Connexion looks validators and
    schemas up by the exact string: "APPLICATION/JSON" skipped validation and reached the handler.
    """
    headers = scope["headers"]
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"content-type":
            media_type, sep, parameters = value.partition(b";")
            if media_type.islower() or not media_type.strip():
                return scope
            changed = list(headers)
            changed[index] = (name, media_type.lower() + sep + parameters)
            return {**scope, "headers": changed}
    return scope


class _CachedValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: Any) -> RequestValidationOperation:
        return _CachedValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class CachedRequestValidationMiddleware(RequestValidationMiddleware):
    api_cls = _CachedValidationAPI  # type: ignore[assignment]


def api_middlewares(*, validate_responses: bool) -> list[Any]:
    middlewares: list[Any] = [
        ServerErrorMiddleware,
        ExceptionMiddleware,
        GroupedRoutingMiddleware,
        GuardedSecurityMiddleware,
        CachedRequestValidationMiddleware,
    ]
    if validate_responses:
        middlewares.append(ResponseValidationMiddleware)
    return middlewares
