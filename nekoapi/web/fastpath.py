"""Connexion with its per-operation set-up done once instead of on every request.

Connexion 3.3 rebuilds each handler's decorator chain, its URI parser and its
JSON-schema validators for every request (see docs/benchmarks.md for the
profile). Everything it rebuilds depends only on the operation, so these
subclasses build it on first use and keep it. Routing, validation and security
stay Connexion's own.

The private names of Connexion used here are listed in internals.py and checked
when ``nekoapi.web`` is imported: another Connexion refuses to start, naming them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import orjson
from connexion.apps.asynchronous import AsyncApi, AsyncApp, AsyncASGIApp, AsyncOperation
from connexion.context import _context, _operation, _receive, _scope
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
from connexion.operations import AbstractOperation
from connexion.uri_parsing import OpenAPIURIParser
from connexion.utils import is_nullable
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import ValidationError
from starlette.routing import Router
from starlette.types import Receive, Scope, Send

from ..errors import NekoError
from ..forms import check_file_name
from .bodies import check_depth, error_message, secret_names
from .errors import domain_error_response
from .multipart import MultipartValidator

log = logging.getLogger("connexion.validators.json")  # where Connexion logs the same line


# The request body as the validation layer parsed and validated it.
PARSED_BODY = "nekoapi.body"


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
            if PARSED_BODY in request.scope:
                parsed = request.scope[PARSED_BODY]
                request.get_body = lambda: parsed
            body = self._maybe_get_body(request, arguments=arguments, has_kwargs=has_kwargs)
            while asyncio.iscoroutine(body):
                body = await body
            kwargs = prep_kwargs(
                request, request_body=body, files={}, arguments=arguments, has_kwargs=has_kwargs, sanitize=sanitize
            )
            return await function(**kwargs)

        return wrapper


class _PrebuiltDecorator(StarletteDecorator):
    """Decorates the handler once; Connexion's own decorates it again per request.

    The result is called with the request's scope and receive channel. An operation
    whose only inputs are string path parameters gets its arguments straight from
    the scope: the same values Connexion's parameter decorator would hand over
    (validated before, by the request validation layer), without a request object.
    """

    def __init__(self, operation: AbstractOperation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.operation = operation

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return _NoUploadsParameterDecorator

    def __call__(self, function: Any) -> Any:
        if _path_only(self.operation) and asyncio.iscoroutinefunction(function):
            sanitize = self._parameter_decorator_cls(framework=self.framework, pythonic_params=self.pythonic_params)
            respond = self._response_decorator_cls(framework=self.framework, jsonifier=self.jsonifier)
            decorated = respond(_path_arguments(function, sanitize.sanitize_fn))
        else:
            request_of = self._request_factory()
            connexion_decorated = self.decorate(function)

            async def decorated(scope: Scope, receive: Receive) -> Any:
                return await connexion_decorated(request_of(scope, receive))

        @functools.wraps(function)
        async def wrapper(scope: Scope, receive: Receive) -> Any:
            try:
                return await decorated(scope, receive)
            except NekoError as exc:
                # Answered here, from the same error table, instead of unwinding the
                # exception through every middleware to Connexion's handler.
                return domain_error_response(exc)

        return wrapper

    def _request_factory(self) -> Any:
        operation = self.operation
        parser = (self.uri_parser_class or operation.uri_parser_class)(
            operation.parameters, operation.body_definition()
        )
        framework = self.framework

        def request_of(scope: Scope, receive: Receive) -> Any:
            return framework.get_request(uri_parser=parser, scope=scope, receive=receive)

        return request_of


def _path_only(operation: AbstractOperation) -> bool:
    """No body and no parameter but plain string path ones, which Connexion hands over unchanged."""
    if operation.is_request_body_defined or operation.method.upper() == "TRACE":
        return False
    return all(_plain_string_path(parameter) for parameter in operation.parameters)


def _plain_string_path(parameter: dict[str, Any]) -> bool:
    """A path parameter whose value Connexion's URI parser passes on as it is in the scope."""
    schema = parameter.get("schema", parameter)
    return parameter["in"] == "path" and schema.get("type") == "string" and not is_nullable(schema)


def _path_arguments(function: Any, sanitize: Any) -> Any:
    """Connexion's ``prep_kwargs`` for a path-only operation, reading the scope directly."""
    arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
    wants_context = "context_" in arguments

    async def call(scope: Scope, receive: Receive) -> Any:
        kwargs = {sanitize(name): value for name, value in scope.get("path_params", {}).items()}
        context = scope.get("extensions", {}).get("connexion_context", {})
        for key, value in context.items():
            if has_kwargs or key in arguments:
                kwargs[key] = value
        if wants_context:
            kwargs["context_"] = context
        return await function(**kwargs)

    return call


class _PrebuiltOperation(AsyncOperation):
    """One operation's handler, decorated at start-up, called with the scope."""

    def prebuild(self, operation: AbstractOperation) -> _PrebuiltOperation:
        self.spec_operation = operation
        decorator = _PrebuiltDecorator(operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        self.handler = decorator(self._fn)
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        # What Connexion's ContextMiddleware sets (it is not in our middleware list, see stack.py).
        _context.set(scope.get("extensions", {}).get("connexion_context", {}))
        _operation.set(self.spec_operation)
        _receive.set(receive)
        _scope.set(scope)
        response = await self.handler(scope, receive)
        return await response(scope, receive, send)


class _PrebuiltApi(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        prebuilt = _PrebuiltOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        return prebuilt.prebuild(operation)


class _PrebuiltASGIApp(AsyncASGIApp):
    api_cls = _PrebuiltApi


class PrebuiltAsyncApp(AsyncApp):
    """Connexion's ``AsyncApp`` with prebuilt operations; it answers lifespan scopes itself."""

    def __init__(self, *args: Any, lifespan: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, lifespan=lifespan, **kwargs)
        self._middleware_app = _PrebuiltASGIApp()
        self.middleware.app = self._middleware_app
        # What Connexion's LifespanMiddleware does with the same function.
        self._lifespan = Router(lifespan=lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            middleware = self.middleware
            if middleware.middleware_stack is None:
                # Built at start-up, as when Connexion sees the lifespan: a broken spec or a
                # missing handler fails here, not at the first request.
                middleware.app, middleware.middleware_stack = middleware._build_middleware_stack()
            await self._lifespan(scope, receive, send)
            return
        await self.middleware(scope, receive, send)


class CachedURIParser(OpenAPIURIParser):
    """Connexion's URI parser, with the parameter schemas derived once instead of at every lookup."""

    @functools.cached_property
    def param_schemas(self) -> dict[str, Any]:  # type: ignore[override]
        return super().param_schemas  # type: ignore[no-any-return]


class _CachedParameterValidator(ParameterValidator):
    """Compiles each parameter's schema once (Connexion deep-copies and compiles per request).

    With plain string path parameters only, the values are validated as they are in the
    scope: the request object and URI parser Connexion builds first would return them as is.
    """

    _compiled: dict[int, tuple[dict[str, Any], Any]] = {}

    def __init__(self, parameters: list[dict[str, Any]], uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(parameters, uri_parser, **kwargs)
        self._path_only = not self.strict_validation and all(_plain_string_path(p) for p in parameters)

    def validate(self, scope: Any) -> None:
        if not self._path_only:
            super().validate(scope)
            return
        path_params = scope.get("path_params", {})
        for param in self.parameters.get("path", []):
            error = self.validate_parameter("path", path_params.get(param["name"].replace("-", "_")), param)
            if error:
                raise BadRequestProblem(detail=error)

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
            return _file_name_problem(entry[0].get("schema", entry[0]), value) or str(exception)
        return None


def _file_name_problem(schema: dict[str, Any], value: Any) -> str | None:
    """For a parameter the spec marks as a file name: the domain's message naming a refused character."""
    if not schema.get("x-nekoapi-file-name") or not isinstance(value, str):
        return None
    try:
        check_file_name(value)
    except NekoError as exc:
        return exc.text
    return None


class _CachedJSONBodyValidator(JSONRequestBodyValidator):
    """Compiles each body schema once (Connexion compiles it on every access), and parses
    bodies so that no malformed one can raise past validation: Connexion's parser lets
    invalid UTF-8, deep nesting and 5,000-digit numbers escape as server errors. The
    handler gets the body parsed here (bodies.py says why), and no message shows a secret.
    """

    async def _parse(self, stream: Any, scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            text = raw if self._encoding.lower() in ("utf-8", "utf8") else raw.decode(self._encoding)
            body = orjson.loads(text)
        except (orjson.JSONDecodeError, UnicodeDecodeError, LookupError) as exc:
            raise BadRequestProblem(detail=f"request body is not valid JSON: {exc}") from None
        check_depth(body)
        self._parsed = body
        return body

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        receive, scope = await super().wrap_receive(receive, scope=scope)
        if hasattr(self, "_parsed"):
            # The handler gets the value validated here, not a second parse of the bytes: the
            # standard library's would keep integers orjson cannot write back (see bodies.py).
            scope = {**scope, PARSED_BODY: self._parsed}
        return receive, scope

    def _validate(self, body: Any) -> Any:
        if not self._nullable and body is None:
            raise BadRequestProblem("Request body must not be empty")
        try:
            return self._validator.validate(body)
        except ValidationError as exception:
            # Connexion's message and log line, minus the value of a secret field.
            message = error_message(exception, self._secrets)
            log.info("Validation error: %s", message, extra={"validator": "body"})
            raise BadRequestProblem(detail=message) from None

    @property
    def _secrets(self) -> frozenset[str]:
        return self._compiled_entry()[2]

    _compiled: dict[int, tuple[dict[str, Any], Any, frozenset[str]]] = {}

    @property
    def _validator(self) -> Any:
        return self._compiled_entry()[1]

    def _compiled_entry(self) -> tuple[dict[str, Any], Any, frozenset[str]]:
        entry = self._compiled.get(id(self._schema))
        if entry is None or entry[0] is not self._schema:
            validator = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
            entry = (self._schema, validator, secret_names(self._schema))
            self._compiled[id(self._schema)] = entry
        return entry


def _body_validators() -> MediaTypeDict:
    validators = MediaTypeDict(VALIDATOR_MAP["body"])
    validators["*/*json"] = _CachedJSONBodyValidator
    validators["multipart/form-data"] = MultipartValidator  # streamed to disk once (multipart.py)
    return validators


VALIDATORS = {"parameter": _CachedParameterValidator, "body": _body_validators()}
