"""The audit page: whether the hash chain verifies, and the latest records (auditors)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from citywatch.cases.policy import may_role
from citywatch.errors import CitywatchError
from citywatch.types import AuditEvent
from citywatch.web.rendering import error_page, render
from citywatch.web.session import SignedIn, to_login

router = APIRouter()
LATEST = 50


@router.get("/audit")
def audit(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    services, user = session.services, session.user
    try:
        report = services.verify_audit()
        # Admins may verify the chain but never read it; auditors read the latest records.
        events: list[AuditEvent] | None = None
        if may_role(user, "audit.export"):
            events = list(services.export_audit(max(0, report.head_sequence - LATEST)))
            events.reverse()
    except CitywatchError as error:
        return error_page(request, error, user=user, csrf=session.csrf)
    return render(request, "audit.html", user, session.csrf, report=report, events=events)
