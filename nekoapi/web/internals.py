"""The private parts of Connexion (and one of Starlette) that this package builds on, checked at import.

fastpath.py, routing.py and stack.py subclass Connexion 3.3.0 and reach into
names it does not promise to keep (spec.py wraps its spec check). pyproject.toml pins that version; should
another one be installed anyway, the server must refuse to start with a
message naming what moved, not fail on the first request (or, worse, quietly
skip a check). ``nekoapi.web`` runs ``require()`` before any of its modules
imports Connexion's private names.
"""

from __future__ import annotations

import importlib.metadata
import logging

from .. import private_names

log = logging.getLogger(__name__)

PINNED_CONNEXION = "3.3.0"

# In nekoapi/private_names.py's form: "module:Name.attribute" (module-level name, class attribute
# or method) or "module:Name().attribute" (set on instances by the class's __init__).
REQUIRED = (
    "connexion.context:_context",
    "connexion.context:_operation",
    "connexion.context:_receive",
    "connexion.context:_scope",
    "connexion.middleware.routing:_scope",
    "connexion.middleware.routing:RoutingMiddleware().router",
    "connexion.decorators.parameter:inspect_function_arguments",
    "connexion.decorators.parameter:prep_kwargs",
    "connexion.decorators.parameter:unwrap_decorators",
    "connexion.decorators.parameter:AsyncParameterDecorator._maybe_get_body",
    "connexion.decorators.parameter:AsyncParameterDecorator().sanitize_fn",
    "connexion.decorators:StarletteDecorator._parameter_decorator_cls",
    "connexion.decorators:StarletteDecorator._response_decorator_cls",
    "connexion.decorators:StarletteDecorator.framework",
    "connexion.decorators:StarletteDecorator.decorate",
    "connexion.apps.asynchronous:AsyncOperation.from_operation",
    "connexion.apps.asynchronous:AsyncOperation()._fn",
    "connexion.apps.asynchronous:AsyncApp()._middleware_app",
    "connexion.middleware.main:ConnexionMiddleware._build_middleware_stack",
    "connexion.middleware.main:ConnexionMiddleware().middleware_stack",
    "connexion.middleware.request_validation:RequestValidationOperation()._operation",
    "connexion.middleware.request_validation:RequestValidationOperation()._validator_map",
    "connexion.validators:JSONRequestBodyValidator._parse",
    "connexion.validators:JSONRequestBodyValidator._validator",
    "connexion.validators:JSONRequestBodyValidator()._encoding",
    "connexion.validators:JSONRequestBodyValidator()._schema",
    "connexion.validators:ParameterValidator.validate_parameter",
    "connexion.uri_parsing:OpenAPIURIParser.param_schemas",
    "connexion.spec:Specification._validate_spec",
    "starlette._utils:get_route_path",
)


class ConnexionInternalsChanged(RuntimeError):
    """The installed Connexion lacks private names the fast path uses."""


def installed_connexion() -> str:
    return importlib.metadata.version("connexion")


def missing() -> list[str]:
    """The entries of ``REQUIRED`` the installed packages do not have."""
    return private_names.missing(REQUIRED)


def require() -> None:
    """Raises ``ConnexionInternalsChanged`` naming every missing private name."""
    gone = missing()
    version = installed_connexion()
    if gone:
        raise ConnexionInternalsChanged(
            f"nekoapi's fast path (nekoapi/web/fastpath.py, routing.py, stack.py) builds on private parts "
            f"of Connexion {PINNED_CONNEXION}; the installed Connexion {version} lacks: {', '.join(gone)}. "
            f"Install connexion=={PINNED_CONNEXION} (pyproject.toml pins it), or port those modules and "
            f"update nekoapi/web/internals.py."
        )
    if version != PINNED_CONNEXION:
        log.warning("Connexion %s installed; nekoapi is built and tested on %s", version, PINNED_CONNEXION)
