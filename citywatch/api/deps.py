"""Request-scoped dependencies: the services acting as the caller (bearer token).

Each request gets its own `Services` and store connection, closed when it ends. Routes are plain
`def` functions: FastAPI runs them in its thread pool, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from citywatch.errors import AuthenticationError
from citywatch.services import Services, build_services

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/login")


def anonymous_services(request: Request) -> Iterator[Services]:
    """Services with no user yet (logging in); one store connection per request."""
    built = build_services(request.app.state.settings)
    try:
        yield built
    finally:
        built.close()


def user_services(
    built: Annotated[Services, Depends(anonymous_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Services:
    """Services acting as the user whose session token is in `Authorization: Bearer ...`."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError(
            "no credentials: send 'Authorization: Bearer TOKEN' with a token from "
            "POST /api/auth/login"
        )
    built.resume_session(credentials.credentials)
    return built


AnonymousServices = Annotated[Services, Depends(anonymous_services)]
UserServices = Annotated[Services, Depends(user_services)]
