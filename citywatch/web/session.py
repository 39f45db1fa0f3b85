"""Signing in to the web UI: a session cookie, a CSRF token on every form, login throttling.

- `POST /login` calls `Services.start_session` (the same audited, expiring sessions as the CLI
  and the API; failed logins are audited there) and keeps the token in the `citywatch_session`
  cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure
  when the request came over https, and lasting `session_hours`. `GET /logout` ends the session.
- CSRF: every POST form carries `csrf_token` = HMAC-SHA256(key = the session token, message =
  `CSRF_CONTEXT`), hex. The token is secret and HttpOnly, so another site can neither read nor
  compute it; nothing extra is stored, and it changes with each session. The login form has no
  session yet, so it uses a double-submit cookie: `GET /login` sets `citywatch_login_csrf` to a
  random value and puts the same value in the form; `POST /login` requires the two to match (no
  other site can set our cookie or read it to copy it into its form).
- Throttling: `LoginThrottle` refuses an attempt with a 429 page after 5 failed logins in a
  minute from the client's address or for the user name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from citywatch.errors import AuthenticationError, CitywatchError
from citywatch.services import Services, build_services
from citywatch.types import User
from citywatch.users.throttle import LoginThrottle
from citywatch.web.rendering import error_page, landing, render

SESSION_COOKIE = "citywatch_session"
LOGIN_CSRF_COOKIE = "citywatch_login_csrf"
CSRF_CONTEXT = b"citywatch web form v1"

router = APIRouter()


@dataclass(frozen=True, slots=True)
class WebSession:
    """The signed-in user of one request, with services acting as them."""

    services: Services
    user: User
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    def form_is_genuine(self, submitted: str) -> bool:
        return bool(submitted) and hmac.compare_digest(submitted, self.csrf)


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), CSRF_CONTEXT, hashlib.sha256).hexdigest()


def web_services(request: Request) -> Iterator[Services]:
    """Services for one request (its own store connection), closed when it ends."""
    built = build_services(request.app.state.settings)
    try:
        yield built
    finally:
        built.close()


WebServices = Annotated[Services, Depends(web_services)]


def current_session(request: Request, services: WebServices) -> WebSession | None:
    """The session of the request's cookie, or None when it has none or it ended."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user = services.resume_session(token)
    except AuthenticationError:
        return None
    return WebSession(services, user, token)


SignedIn = Annotated[WebSession | None, Depends(current_session)]


def to_login(request: Request) -> RedirectResponse:
    """Send a visitor without a session to the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def refused_form(request: Request, session: WebSession) -> HTMLResponse:
    return error_page(
        request,
        "this form's security token is missing or wrong (it may come from another site, or "
        "from a page of an earlier session); reload the page and submit it again",
        403,
        session.user,
        session.csrf,
    )


def throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (made by create_app, shared with the API's login route)."""
    found = request.app.state.login_throttle
    assert isinstance(found, LoginThrottle)
    return found


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str) -> str:
    """Only a path on this site: never another site (`//host`, `https://...`)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target if "\\" not in target else ""


def login_page(
    request: Request,
    message: str = "",
    error: str = "",
    status: int = 200,
    name: str = "",
    next_path: str = "",
) -> HTMLResponse:
    value = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        csrf=value,
        status=status,
        message=message,
        error=error,
        name=name,
        next_path=safe_next(next_path),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login")
def show_login(
    request: Request,
    session: SignedIn,
    next_path: Annotated[str, Query(alias="next")] = "",
) -> Response:
    if session is not None:
        return RedirectResponse(safe_next(next_path) or landing(session.user), status_code=303)
    return login_page(request, next_path=next_path)


@router.post("/login")
def log_in(
    request: Request,
    services: WebServices,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and csrf_token and hmac.compare_digest(expected, csrf_token)):
        return error_page(
            request,
            "the login form's security token is missing or wrong (it may come from another "
            "site, or cookies are blocked); open the login page again",
            403,
        )
    limiter, address = throttle(request), client_address(request)
    wait_s = limiter.retry_after_s(address, name)
    if wait_s > 0:
        seconds = max(1, round(wait_s))
        return error_page(
            request,
            f"too many failed logins from your address or for this user name; try again in "
            f"{seconds} s",
            429,
            headers={"Retry-After": str(seconds)},
        )
    try:
        user, token = services.start_session(name.strip(), password)
    except AuthenticationError:
        limiter.record_failure(address, name)
        return login_page(
            request,
            error="wrong user name or password (or the account is disabled)",
            status=401,
            name=name,
            next_path=next_path,
        )
    except CitywatchError as error:
        return error_page(request, error)
    limiter.forget_name(name)
    response = RedirectResponse(safe_next(next_path) or landing(user), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(services.settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout")
def log_out(request: Request, session: SignedIn) -> Response:
    """End the session (audited) and forget the cookie. A GET, as links are; SameSite=Strict
    keeps another site's link or image from sending the cookie, so none can log a user out."""
    if session is not None:
        try:
            session.services.end_session(session.token)
        except CitywatchError as error:
            return error_page(request, error, user=session.user, csrf=session.csrf)
    response = login_page(request, "you are signed out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
