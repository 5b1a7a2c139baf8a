"""``server.static``: an operator's folder served at ``/`` in place of the room's page (web/page.py).

As Neko's ``server/internal/http/manager.go`` serves it with Go's ``http.FileServer``: GET and HEAD
of every path outside ``/api/`` that no operation has; a folder answers with its ``index.html``, and
a folder named without its trailing slash is redirected to it, relative, as Go does. Unlike Go, a
folder without ``index.html`` is not listed, and a missing file is our JSON 404. Paths stay inside
the folder: ``..`` is resolved first and a symbolic link out of it is not followed (Starlette's
``StaticFiles`` looks files up, in a thread). Like the page, these are not API operations and stay
out of the spec's paths; its description says what ``/`` serves.

The page's headers are sent, with a Content Security Policy that cannot break a client we did not
write (Neko's has inline styles and remote avatars): no framing, no plugins, no ``<base>`` elsewhere.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body
from .methods import path_pattern

CSP = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-cache"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
INDEX = "index.html"


def folder_paths(operation_paths: Iterable[str]) -> Callable[[str], bool]:
    """Whether the folder answers ``path``: not under ``/api``, and no operation's path (``{id}`` any segment)."""
    operations = [path_pattern(template) for template in operation_paths]

    def served(path: str) -> bool:
        if path == "/api" or path.startswith("/api/"):
            return False
        return not any(pattern.match(path) for pattern in operations)

    return served


def folder_app(directory: str, fallback: ASGIApp) -> ASGIApp:
    """GET and HEAD from ``directory``; any other method falls through to the API (its JSON 405/404)."""
    files = _Folder(directory=directory)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await fallback(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        try:
            response = await files.answer(scope)
        except HTTPException:
            response = Response(error_body(404, "not found"), 404, media_type="application/json")
        await response(scope, receive, send_with_headers)

    return app


class _Folder(StaticFiles):
    async def answer(self, scope: Scope) -> Response:
        """A file, a folder's index, or a redirect to the folder's own path; else HTTPException(404)."""
        path = self.get_path(scope)
        found = await self._look_up(path)
        if found is not None and stat.S_ISDIR(found[1].st_mode):
            index = await self._look_up(os.path.join(path, INDEX))
            if index is None or not stat.S_ISREG(index[1].st_mode):
                raise HTTPException(404)
            if not scope["path"].endswith("/"):
                return _relative_redirect(scope)
            found = index
        if found is None or not stat.S_ISREG(found[1].st_mode):
            raise HTTPException(404)
        return self.file_response(found[0], found[1], scope)

    async def _look_up(self, path: str) -> tuple[str, os.stat_result] | None:
        """Starlette's lookup (inside the folder only), in a thread; ``None`` when nothing is there."""
        return await anyio.to_thread.run_sync(self._readable, path)

    def _readable(self, path: str) -> tuple[str, os.stat_result] | None:
        try:
            full, status = self.lookup_path(path)
        except (OSError, ValueError):  # a name too long, a NUL byte
            return None
        # A file this process may not read would fail while its answer is already on its way.
        return None if status is None or not os.access(full, os.R_OK) else (full, status)


def _relative_redirect(scope: Scope) -> Response:
    """``/docs`` -> ``docs/``: relative, so it holds below ``server.path_prefix`` too (Go's localRedirect)."""
    base = scope["path"].rstrip("/").rsplit("/", 1)[-1]
    query = scope.get("query_string", b"").decode("latin-1")
    return Response(status_code=301, headers={"location": f"{base}/" + (f"?{query}" if query else "")})
