"""The audit page: whether the hash chain verifies, and the records (auditors), newest first, a page
of `PAGE` at a time (`?before=SEQUENCE` for older ones)."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from citywatch.cases.policy import may_role
from citywatch.errors import CitywatchError
from citywatch.types import AuditEvent
from citywatch.web.rendering import error_page, render
from citywatch.web.session import SignedIn, to_login

router = APIRouter()
PAGE = 50


@router.get("/audit")
def audit(
    request: Request,
    session: SignedIn,
    before: Annotated[int | None, Query(ge=1, description="Show records before this one")] = None,
) -> Response:
    if session is None:
        return to_login(request)
    services, user = session.services, session.user
    try:
        report = services.verify_audit()
        # Admins may verify the chain but never read it; auditors read the latest records.
        events: list[AuditEvent] | None = None
        end = min(before or report.head_sequence + 1, report.head_sequence + 1)
        if may_role(user, "audit.export"):
            start = max(0, end - 1 - PAGE)
            events = list(islice(services.export_audit(start), max(0, end - 1 - start)))
            events.reverse()
    except CitywatchError as error:
        return error_page(request, error, user=user, csrf=session.csrf)
    older = events[-1].sequence if events and events[-1].sequence > 1 else None
    return render(
        request,
        "audit.html",
        user,
        session.csrf,
        report=report,
        events=events,
        older=older,
        paged=before is not None,
    )
