"""The HTTP API (FastAPI): routers per resource, dependencies, the one error table."""

from tournee.api.app.main import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
