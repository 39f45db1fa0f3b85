"""The application factory: routes per resource, our errors mapped to HTTP status codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from citywatch import web
from citywatch.api import docs
from citywatch.api.routes import (
    alerts,
    audit,
    auth,
    cameras,
    cases,
    reports,
    stream,
    users,
    watchlists,
    webhooks,
)
from citywatch.api.routes import settings as settings_routes
from citywatch.config import Settings
from citywatch.errors import (
    AuditError,
    AuthenticationError,
    CitywatchError,
    ConfigError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    TooLargeError,
)
from citywatch.ingest.urls import redact_text
from citywatch.users.throttle import LoginThrottle

STATUS: tuple[tuple[type[CitywatchError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (TooLargeError, 413),
    (InputError, 422),
    (ConfigError, 422),
    (AuditError, 503),  # the action did not happen: the audit log could not record it
    (StorageError, 503),
)


def redacted(errors: Sequence[Any]) -> list[Any]:
    """Validation errors without the input they quote, credentials removed from messages."""
    cleaned = []
    for error in errors:
        if isinstance(error, dict):
            error = {k: v for k, v in error.items() if k not in ("input", "ctx", "url")}
            if isinstance(error.get("msg"), str):
                error["msg"] = redact_text(error["msg"])
        cleaned.append(error)
    return cleaned


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
        docs_url=None,  # our own /api/docs (api/docs.py): no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    # Failed logins are counted per app, over the API and the web form alike.
    app.state.login_throttle = LoginThrottle()

    @app.exception_handler(CitywatchError)
    async def citywatch_error(request: Request, error: CitywatchError) -> JSONResponse:
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)

    # `stream` before `alerts`: /alerts/stream is not an alert id.
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer quotes the input back, and an input may be a camera URL
        # with its password: say what was wrong, never what was sent.
        return JSONResponse({"detail": redacted(error.errors())}, status_code=422)

    routers = (auth, cases, watchlists, stream, alerts, webhooks, users, cameras, audit, reports)
    for module in (*routers, settings_routes):
        app.include_router(module.router, prefix="/api")
    app.include_router(docs.router)
    app.include_router(web.router)  # the operators' pages, after the API: /api/... is never a page
    return app
