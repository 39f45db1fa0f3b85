"""The application factory: routes per resource, our errors mapped to HTTP status codes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from citywatch.api.routes import alerts, auth, cases, stream, watchlists, webhooks
from citywatch.config import Settings
from citywatch.errors import (
    AuditError,
    AuthenticationError,
    CitywatchError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
)

STATUS: tuple[tuple[type[CitywatchError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputError, 422),
    (AuditError, 503),  # the action did not happen: the audit log could not record it
    (StorageError, 503),
)


def status_of(error: CitywatchError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="citywatch",
        summary="Find people on authorised watchlists in CCTV video, accountably.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings

    @app.exception_handler(CitywatchError)
    async def citywatch_error(request: Request, error: CitywatchError) -> JSONResponse:
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)

    # `stream` before `alerts`: /alerts/stream is not an alert id.
    for module in (auth, cases, watchlists, stream, alerts, webhooks):
        app.include_router(module.router, prefix="/api")
    return app
