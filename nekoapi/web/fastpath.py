"""Connexion with its per-operation set-up done once instead of on every request.

Connexion 3.3 rebuilds each handler's decorator chain, its URI parser and its
JSON-schema validators for every request (see docs/benchmarks.md for the
profile). Everything it rebuilds depends only on the operation, so these
subclasses build it on first use and keep it. Routing, validation and security
stay Connexion's own.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import orjson
from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp, AsyncOperation
from connexion.context import receive, scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import (
    AsyncParameterDecorator,
    inspect_function_arguments,
    prep_kwargs,
    unwrap_decorators,
)
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator, Draft4Validator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import ValidationError

from ..errors import NekoError
from .errors import domain_error_response


class _NoUploadsParameterDecorator(AsyncParameterDecorator):
    """Connexion's parameter decorator, minus per-request waste our spec never needs.

    It parses every request as a possible multipart upload (no operation of ours takes
    files) and re-derives each snake_case argument name with regular expressions.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sanitize_fn = functools.lru_cache(maxsize=512)(self.sanitize_fn)

    def __call__(self, function: Any) -> Any:
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        sanitize = self.sanitize_fn

        @functools.wraps(function)
        async def wrapper(request: Any) -> Any:
            body = self._maybe_get_body(request, arguments=arguments, has_kwargs=has_kwargs)
            while asyncio.iscoroutine(body):
                body = await body
            kwargs = prep_kwargs(
                request, request_body=body, files={}, arguments=arguments, has_kwargs=has_kwargs, sanitize=sanitize
            )
            return await function(**kwargs)

        return wrapper


class _PrebuiltDecorator(StarletteDecorator):
    """Decorates the handler once; Connexion's own decorates it again per request."""

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return _NoUploadsParameterDecorator

    def __call__(self, function: Any) -> Any:
        decorated = self.decorate(function)
        parser: list[Any] = []  # the operation's URI parser, known from the first request on

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not parser:
                parser.append(self.uri_parser)
            request = self.framework.get_request(uri_parser=parser[0], scope=scope, receive=receive)
            try:
                return await decorated(request)
            except NekoError as exc:
                # Answered here, from the same error table, instead of unwinding the
                # exception through every middleware to Connexion's handler.
                return domain_error_response(exc)

        return wrapper


class _PrebuiltOperation(AsyncOperation):
    @functools.cached_property
    def fn(self) -> Any:  # type: ignore[override]
        decorator = _PrebuiltDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(self._fn)


class _PrebuiltApi(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        return _PrebuiltOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class _PrebuiltASGIApp(AsyncASGIApp):
    api_cls = _PrebuiltApi


class PrebuiltAsyncApp(AsyncApp):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._middleware_app = _PrebuiltASGIApp()
        self.middleware.app = self._middleware_app


class _CachedParameterValidator(ParameterValidator):
    """Compiles each parameter's schema once (Connexion deep-copies and compiles per request)."""

    _compiled: dict[int, tuple[dict[str, Any], Any]] = {}

    @staticmethod
    def validate_parameter(parameter_type: str, value: Any, param: dict[str, Any], param_name: Any = None) -> Any:
        if value is None:
            return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)
        entry = _CachedParameterValidator._compiled.get(id(param))
        if entry is None or entry[0] is not param:
            schema = param.get("schema", param)
            entry = (param, Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER))
            _CachedParameterValidator._compiled[id(param)] = entry
        try:
            entry[1].validate(value)
        except ValidationError as exception:
            return str(exception)
        return None


class _CachedJSONBodyValidator(JSONRequestBodyValidator):
    """Compiles each body schema once (Connexion compiles it on every access), and parses
    bodies so that no malformed one can raise past validation: Connexion's parser lets
    invalid UTF-8, deep nesting and 5,000-digit numbers escape as server errors.
    """

    async def _parse(self, stream: Any, scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            return orjson.loads(raw if self._encoding.lower() in ("utf-8", "utf8") else raw.decode(self._encoding))
        except (orjson.JSONDecodeError, UnicodeDecodeError, LookupError) as exc:
            raise BadRequestProblem(detail=f"request body is not valid JSON: {exc}") from None

    _compiled: dict[int, tuple[dict[str, Any], Any]] = {}

    @property
    def _validator(self) -> Any:
        entry = self._compiled.get(id(self._schema))
        if entry is None or entry[0] is not self._schema:
            validator = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
            entry = (self._schema, validator)
            self._compiled[id(self._schema)] = entry
        return entry[1]


def _body_validators() -> MediaTypeDict:
    validators = MediaTypeDict(VALIDATOR_MAP["body"])
    validators["*/*json"] = _CachedJSONBodyValidator
    return validators


VALIDATORS = {"parameter": _CachedParameterValidator, "body": _body_validators()}
