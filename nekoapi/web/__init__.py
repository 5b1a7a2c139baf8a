"""The HTTP and WebSocket edge: everything that knows about Connexion and Starlette."""
