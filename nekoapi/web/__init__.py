"""The HTTP and WebSocket edge: everything that knows about Connexion and Starlette."""

from .internals import require

# Before any module here imports Connexion's private names: a clear refusal, not an ImportError.
require()
