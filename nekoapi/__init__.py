"""nekoapi: the Neko v3 session control plane, served from its OpenAPI contract."""

__version__ = "0.1.0"
