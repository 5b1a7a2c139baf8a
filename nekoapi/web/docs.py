"""The contract served to users: ``/api/openapi.json``, ``/api/openapi.yaml`` and Swagger UI at ``/api/ui``.

The spec is also at ``/openapi.json`` and ``/openapi.yaml``, where Connexion put it before.

These are documentation routes, not API operations, so they stay out of the
spec. ``NekoServer`` sends only paths under these prefixes here, which keeps
the Swagger UI router off the path of every API request.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
import yaml
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.spec import Specification
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_body

SPEC_JSON_PATH = "/api/openapi.json"
SPEC_YAML_PATH = "/api/openapi.yaml"
# Where Connexion serves a spec by default; kept so that existing clients find it.
ROOT_JSON_PATH = "/openapi.json"
ROOT_YAML_PATH = "/openapi.yaml"
UI_PATH = "/api/ui"
PREFIXES = ("/api/openapi.", "/openapi.", UI_PATH)


def is_docs_path(path: str) -> bool:
    return path.startswith(PREFIXES)


def docs_app(spec: dict[str, Any], fallback: ASGIApp, prefix: str = "") -> ASGIApp:
    """Swagger UI in front of the spec documents; any other path falls through to ``fallback``.

    ``prefix`` is ``server.path_prefix``: routes are matched below it, but the page
    tells the browser where to fetch the spec, so that URL must carry it.
    """
    # Serialised once: the served documents are exactly the spec the server runs
    # with (components and $refs intact, so SDK generators keep the type names).
    as_json = orjson.dumps(spec)
    as_yaml = _as_yaml(as_json)

    async def spec_json(_request: Request) -> Response:
        return Response(as_json, media_type="application/json")

    async def spec_yaml(_request: Request) -> Response:
        return Response(as_yaml, media_type="application/yaml")

    routes = [
        *(Route(path, spec_json, methods=["GET"]) for path in (SPEC_JSON_PATH, ROOT_JSON_PATH)),
        *(Route(path, spec_yaml, methods=["GET"]) for path in (SPEC_YAML_PATH, ROOT_YAML_PATH)),
    ]
    documents = Router(routes=routes, default=fallback)
    ui = SwaggerUIMiddleware(documents)
    ui.add_api(
        Specification.from_dict(spec),
        base_path="",
        swagger_ui_options=SwaggerUIOptions(
            serve_spec=False, spec_path=prefix.rstrip("/") + SPEC_JSON_PATH, swagger_ui_path=UI_PATH
        ),
    )
    return _ReadOnly(ExceptionMiddleware(ui, handlers={HTTPException: _json_error}), fallback)


@functools.lru_cache(maxsize=4)
def _as_yaml(as_json: bytes) -> bytes:
    # Dumping the spec as YAML takes longer than building the rest of the app; the spec
    # differs between apps only by the cookie's name.
    return yaml.safe_dump(orjson.loads(as_json), sort_keys=False, allow_unicode=True).encode()


class _ReadOnly:
    """GET and HEAD reach the documents; other methods get the API's own JSON 404/405."""

    def __init__(self, documents: ASGIApp, fallback: ASGIApp) -> None:
        self.documents = documents
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.documents if scope["method"] in ("GET", "HEAD") else self.fallback
        await target(scope, receive, send)


async def _json_error(_request: Request, exc: Exception) -> Response:
    # A missing Swagger UI asset: JSON like every other error of this server.
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return Response(
        error_body(status, "not found" if status == 404 else "request failed"), status, media_type="application/json"
    )
