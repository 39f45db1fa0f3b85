"""Log in (a session token), log out, and who am I."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from citywatch.api.deps import AnonymousServices, UserServices, bearer
from citywatch.api.schemas import LoginRequest, SessionPublic, UserPublic
from citywatch.errors import AuthenticationError
from citywatch.users.throttle import LoginThrottle

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    responses={429: {"description": "Too many failed logins from this address or for this name"}},
)
def login(request: Request, body: LoginRequest, services: AnonymousServices) -> SessionPublic:
    """A session token for `name`; failed logins are audited. After 5 failed logins in a minute
    from one address or for one name, further attempts get 429 (with Retry-After) until the
    window has passed, without a password check."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    wait_s = throttle.retry_after_s(address, body.name)
    if wait_s > 0:
        seconds = max(1, round(wait_s))
        raise HTTPException(
            429,
            f"too many failed logins from your address or for this user name; try again in "
            f"{seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    try:
        user, token = services.start_session(body.name, body.password)
    except AuthenticationError:
        throttle.record_failure(address, body.name)
        raise
    throttle.forget_name(body.name)
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
