"""The REST API: `create_app(settings)` builds a FastAPI app over the same services as the CLI.

Every request gets its own `Services` (its own SQLite connection) acting as the user its bearer
token names; every rule of the accountability core applies unchanged, because the routes call the
services and nothing else. The OpenAPI document is at `/api/openapi.json`.
"""

from __future__ import annotations

from citywatch.api.app import create_app

__all__ = ["create_app"]
