"""Log in (a session token), log out, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from citywatch.api.deps import AnonymousServices, UserServices, bearer
from citywatch.api.schemas import LoginRequest, SessionPublic, UserPublic

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
def login(body: LoginRequest, services: AnonymousServices) -> SessionPublic:
    """A session token for `name`; failed logins are audited."""
    user, token = services.start_session(body.name, body.password)
    expires_at = services.now() + timedelta(hours=services.settings.session_hours)
    return SessionPublic(token=token, user=UserPublic.of(user), expires_at=expires_at)


@router.post("/logout", status_code=204)
def logout(
    services: UserServices,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """End the session of the token sent (sync: the store's connection stays in one thread)."""
    assert credentials is not None  # UserServices already required them
    services.end_session(credentials.credentials)


@router.get("/me")
def me(services: UserServices) -> UserPublic:
    return UserPublic.of(services.user())
