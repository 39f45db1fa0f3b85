"""Pages from the package's Jinja2 templates, with the navigation the user's roles allow, and our
errors shown as pages rather than JSON.

Every page is sent with a Content-Security-Policy that allows only this server's own scripts,
styles and images (and `data:` audio for the alert sound): the UI works with no network beyond the
server, and an injected script or a third-party resource cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from citywatch.cases.policy import may_role
from citywatch.errors import CitywatchError
from citywatch.types import User

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "media-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages show faces and case details: never keep them
}


@dataclass(frozen=True, slots=True)
class NavItem:
    title: str
    href: str
    action: str
    """The policy action whose role gate decides whether the item is shown."""


NAV = (
    NavItem("Alerts", "/", "alert.view"),
    NavItem("Review", "/review", "alert.review"),
    NavItem("Cases", "/cases", "case.view"),
    NavItem("Watchlists", "/watchlists", "watchlist.view"),
    NavItem("Cameras", "/cameras", "camera.view"),
    NavItem("Map", "/map", "camera.view"),
    NavItem("Transparency", "/transparency", "report.transparency"),
    NavItem("Audit", "/audit", "audit.verify"),
)

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Not usable",
    429: "Too many attempts",
    503: "Unavailable",
}

environment = Environment(
    loader=PackageLoader("citywatch.web", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def utc(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%Y-%m-%d %H:%M:%S UTC")


environment.filters["utc"] = utc


def nav_for(user: User | None) -> list[NavItem]:
    return [] if user is None else [item for item in NAV if may_role(user, item.action)]


def landing(user: User) -> str:
    """Where a user lands after signing in: the first page their roles open."""
    items = nav_for(user)
    return items[0].href if items else "/"


def render(
    request: Request,
    template: str,
    user: User | None = None,
    csrf: str = "",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    page = environment.get_template(template).render(
        user=user,
        nav=nav_for(user),
        path=request.url.path,
        home=landing(user) if user else "/login",
        csrf=csrf,
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def status_of(error: CitywatchError) -> int:
    # Imported here, not at the top: the API's app module includes this package's router, so a
    # top-level import would make the two modules import each other.
    from citywatch.api.app import status_of as api_status_of

    return api_status_of(error)


def error_page(
    request: Request,
    error: CitywatchError | str,
    status: int | None = None,
    user: User | None = None,
    csrf: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page saying what went wrong, with the status code the API would give."""
    if status is None:
        status = status_of(error) if isinstance(error, CitywatchError) else 400
    response = render(
        request,
        "error.html",
        user,
        csrf,
        status,
        title=TITLES.get(status, "Error"),
        problem=str(error),
    )
    response.headers.update(headers or {})
    return response
