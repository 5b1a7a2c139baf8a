"""The room's page at ``/`` and its files under ``/static/``: what a person sees after ``make run``.

Like the documentation (web/docs.py), these are not API operations and stay out of the
spec. The files are read once at start-up: ``index.html`` at ``/`` and every other file of
``static/`` (plain ES modules, no build step) at ``/static/<name>``. The page runs under a strict
Content Security Policy: this origin's script, style and WebSocket only, no inline code, no frames.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

_KINDS = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_STATIC = resources.files(__package__) / "static"
_FILES = {"/": "index.html"} | {
    f"/static/{entry.name}": entry.name
    for entry in _STATIC.iterdir()
    if entry.is_file() and entry.name != "index.html" and Path(entry.name).suffix in _KINDS
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; media-src 'self' blob:; "
    "img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def is_page_path(path: str) -> bool:
    return path in _FILES


def page_app(fallback: ASGIApp) -> ASGIApp:
    """GET and HEAD of the page's files; any other method falls through to the API (its JSON 405/404)."""
    bodies = {path: (_STATIC.joinpath(name).read_bytes(), _KINDS[Path(name).suffix]) for path, name in _FILES.items()}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await fallback(scope, receive, send)
            return
        body, kind = bodies[scope["path"]]
        headers = [
            (b"content-type", kind.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"content-security-policy", CSP.encode()),
            (b"cache-control", b"no-cache"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return app
