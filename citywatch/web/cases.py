"""Cases: the list the user may see with each case's scope, the request form (officers),
approval (supervisors) and closing (the requesting officer or a supervisor)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from citywatch.cases.policy import may, may_role
from citywatch.cases.scope import describe_scope
from citywatch.errors import CitywatchError, InputError
from citywatch.types import CASE_CATEGORIES, CaseScope
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, WebSession, refused_form, to_login

router = APIRouter()
DEFAULT_DAYS = 30


def cases_page(
    request: Request,
    session: WebSession,
    message: str = "",
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    services, user = session.services, session.user
    try:
        cases = services.cases()
    except CitywatchError as failure:
        return error_page(request, failure, user=user, csrf=session.csrf)
    now = services.now()
    rows = [
        {
            "case": case,
            "state": case.state(now),
            "scope": describe_scope(case.scope),
            "may_approve": may(user, "case.approve", case, now),
            "may_close": may(user, "case.close", case, now),
        }
        for case in cases
    ]
    return render(
        request,
        "cases.html",
        user,
        session.csrf,
        status,
        rows=rows,
        may_create=may_role(user, "case.create"),
        categories=CASE_CATEGORIES,
        form=form or {"days": str(DEFAULT_DAYS)},
        message=message,
        error=error,
    )


@router.get("/cases")
def list_cases(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    return cases_page(request, session)


def names(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


def whole_days(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{field} {text!r} is not a whole number of days") from None


@router.post("/cases")
def create_case(
    request: Request,
    session: SignedIn,
    reference: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
    cameras: Annotated[str, Form()] = "",
    groups: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = str(DEFAULT_DAYS),
    retention_days: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    form = {
        "reference": reference,
        "category": category,
        "legal_basis": legal_basis,
        "cameras": cameras,
        "groups": groups,
        "days": days,
        "retention_days": retention_days,
    }
    services = session.services
    try:
        expires_at = services.now() + timedelta(days=whole_days(days, "expiry"))
        retention = whole_days(retention_days, "retention") if retention_days.strip() else None
        scope = CaseScope(camera_ids=names(cameras), groups=names(groups))
        case = services.create_case(reference, category, legal_basis, scope, expires_at, retention)
    except CitywatchError as error:
        return cases_page(request, session, error=str(error), status=status_of(error), form=form)
    return cases_page(
        request,
        session,
        message=f"case {case.reference} requested; a supervisor must approve it before use",
    )


@router.post("/cases/approve")
def approve_case(
    request: Request,
    session: SignedIn,
    reference: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The reference travels in the form, not the path: references hold slashes (2026/CR-1)."""
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    try:
        case = session.services.approve_case(reference)
    except CitywatchError as error:
        return cases_page(request, session, error=str(error), status=status_of(error))
    return cases_page(request, session, message=f"case {case.reference} approved: now active")


@router.post("/cases/close")
def close_case(
    request: Request,
    session: SignedIn,
    reference: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Closing ends the case's use at once: its watchlists stop matching and nobody enrols or
    searches in it again. The reason goes into the audit log."""
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    services = session.services
    try:
        if not reason.strip():
            # Who may not close the case hears that first (404 or 403, audited), not this.
            services.require("case.close", services.case(reference))
            raise InputError(
                f"closing case {reference} needs a reason (it goes into the audit log)"
            )
        case = services.close_case(reference, reason)
    except CitywatchError as error:
        return cases_page(request, session, error=str(error), status=status_of(error))
    return cases_page(
        request, session, message=f"case {case.reference} closed: its watchlists no longer match"
    )
